# A quota given with New-MailUser and changed with Set-MailUser, as the bundled server enforces it while it runs.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1')
}

Describe 'A quota on the bundled server' {
    BeforeAll {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('quota-' + [guid]::NewGuid().ToString('N')))
        $config = New-MailServerConfig (Join-Path $dir 'server.jsonc') -DataPath $dir -Hostname mx.example.test
        $smtpPort, $submissionPort, $submissionsPort, $imapsPort = 1..4 | ForEach-Object { Get-FreePort }
        # Only SMTP and IMAPS are needed: the other listeners are dropped from the file.
        (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$smtpPort" -replace ':2587', ":$submissionPort" -replace ':2465', ":$submissionsPort" -replace ':2993', ":$imapsPort" -replace '(?m)^.*127\.0\.0\.1:(2110|2995|2143)".*\r?\n', '' |
            Set-Content $config
        Start-MailServer -ConfigPath $config -Name pester-quota | Out-Null
        New-MailUser alice@example.test -Password (ConvertTo-SecureString 'Quota-Pass-1' -AsPlainText -Force) -QuotaBytes 100KB -ConfigPath $config | Out-Null
    }
    AfterAll {
        Get-MailServer -Name pester-quota -ErrorAction SilentlyContinue | Stop-MailServer -GraceSeconds 1
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'shows the usage to an IMAP client, and once Set-MailUser lowers it below the usage SMTP refuses the full mailbox with 452 4.2.2' {
        swaks --server "127.0.0.1:$smtpPort" --from bob@remote.test --to alice@example.test --body ((('x' * 70) + "`n") * 40) --silent 2 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Get-MailServer -Name pester-quota).Delivered -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-MailServer -Name pester-quota).Delivered | Should -Be 1

        $quota = curl -sS -k -u 'alice@example.test:Quota-Pass-1' -X 'GETQUOTAROOT INBOX' "imaps://127.0.0.1:$imapsPort/"
        $LASTEXITCODE | Should -Be 0
        ($quota -join "`n") | Should -Match '\* QUOTA "User quota" \(STORAGE 4 100\)'

        Set-MailUser alice@example.test -QuotaBytes 2KB -ConfigPath $config
        $refused = swaks --server "127.0.0.1:$smtpPort" --from bob@remote.test --to alice@example.test --body 'small' 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        ($refused -join "`n") | Should -Match '<\*\* 452 4\.2\.2 <alice@example\.test>: Recipient address rejected: Mailbox is full'
    }
}
