# The README's first command starts the server, and a message sent with swaks lands in the Maildir.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    function Wait-Port([int] $Port, [int] $Seconds) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            $client = [Net.Sockets.TcpClient]::new()
            try { $client.Connect('127.0.0.1', $Port); return $true } catch { Start-Sleep -Milliseconds 250 } finally { $client.Dispose() }
        }
        return $false
    }
}

Describe "README's first command" {
    It 'starts the server on the embedded default, and mail sent with swaks to a New-MailUser user lands in the Maildir' {
        $xdg = Join-Path ([IO.Path]::GetTempPath()) ('readme-' + [guid]::NewGuid().ToString('N'))
        $saved = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = $xdg
        $run = $null
        try {
            $readme = Get-Content (Join-Path $root 'README.md') -Raw
            $readme | Should -Match 'dotnet tool restore && dotnet pwsh ./build.ps1 Run'
            $run = Start-Process dotnet -ArgumentList 'pwsh', '-NoProfile', './build.ps1', 'Run' -WorkingDirectory $root -PassThru `
                -RedirectStandardOutput (Join-Path ([IO.Path]::GetTempPath()) "readme-run-$PID.log") -RedirectStandardError (Join-Path ([IO.Path]::GetTempPath()) "readme-run-$PID.err")
            Wait-Port 2525 180 | Should -BeTrue -Because 'the server listens on 127.0.0.1:2525'
            $password = ConvertTo-SecureString 'correct horse' -AsPlainText -Force
            New-MailUser -Address alice@localhost.localdomain -Password $password | Out-Null
            $out = swaks --server 127.0.0.1:2525 --from bob@example.org --to alice@localhost.localdomain --header 'Subject: readme check' 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            $new = Join-Path $xdg 'mailops/mail/localhost.localdomain/alice/Maildir/new'
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (Test-Path $new) -or -not (Get-ChildItem $new)) {
                if ([DateTime]::UtcNow -gt $deadline) { break }
                Start-Sleep -Milliseconds 200
            }
            $files = @(Get-ChildItem $new)
            $files.Count | Should -Be 1
            $files[0].Name | Should -Match '^\d+\.M\d+P\d+\..+,S=\d+,W=\d+$'
            Get-Content $files[0].FullName -Raw | Should -Match 'Subject: readme check'
        }
        finally {
            if ($run -and -not $run.HasExited) { $run.Kill($true); $run.WaitForExit(10000) | Out-Null }
            $env:XDG_DATA_HOME = $saved
            Remove-Item $xdg -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
