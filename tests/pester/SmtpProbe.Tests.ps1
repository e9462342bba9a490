# Invoke-SmtpProbe as a user meets it in pwsh, against the bundled server started by the test.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    function Get-FreePort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
    $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('probe-' + [guid]::NewGuid().ToString('N')))
    $config = New-MailServerConfig (Join-Path $dir 'server.jsonc') -DataPath $dir -Hostname mx.example.test
    $ports = 1..3 | ForEach-Object { Get-FreePort }
    (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$($ports[0])" -replace ':2587', ":$($ports[1])" -replace ':2465', ":$($ports[2])" |
        Set-Content $config
    Start-MailServer -ConfigPath $config -Name pester-probe | Out-Null
    $password = ConvertTo-SecureString 'probe-pw' -AsPlainText -Force
    New-MailUser -Address alice@example.test -Password $password -ConfigPath $config | Out-Null
    $credential = [pscredential]::new('alice@example.test', $password)
}

AfterAll {
    Stop-MailServer -Name pester-probe
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-SmtpProbe' {
    It 'returns a typed result with STARTTLS, EHLO extensions and the certificate, shown as a table' {
        $r = Invoke-SmtpProbe "127.0.0.1:$($ports[0])" -SkipCertificateCheck
        $r | Should -BeOfType ([MailOps.Probes.SmtpProbeResult])
        $r.Result | Should -Be 'Success'
        $r.TlsMode | Should -Be 'StartTls'
        $r.EhloBeforeTls.StartTls | Should -BeTrue
        $r.Tls.CertificateSubject | Should -Be $r.Tls.Issuer
        $r.Tls.ChainValid | Should -BeFalse
        ($r | Format-Table | Out-String) | Should -Match "127\.0\.0\.1\s+127\.0\.0\.1\s+$($ports[0])\s+Success\s+StartTls"
    }

    It 'fails the Tls stage on a self-signed certificate unless -SkipCertificateCheck' {
        (Invoke-SmtpProbe 127.0.0.1 -Port $ports[0]).Result | Should -Be 'Tls'
    }

    It 'authenticates on implicit TLS, sends a message with -Send and returns the queue ID; -Verbose shows the masked transcript' {
        $r = Invoke-SmtpProbe "127.0.0.1:$($ports[2])" -Tls Implicit -Credential $credential -From alice@example.test -To alice@example.test -Send `
            -Subject 'pester probe' -Header @{ 'X-Pester' = 'yes' } -SkipCertificateCheck -Verbose 4>&1
        $verbose = @($r | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
        $result = $r | Where-Object { $_ -is [MailOps.Probes.SmtpProbeResult] }
        $result.Result | Should -Be 'Success'
        $result.Auth.Succeeded | Should -BeTrue
        $result.QueueId | Should -Not -BeNullOrEmpty
        ($verbose.Message -join "`n") | Should -Match 'AUTH PLAIN \*{8}'
        ($verbose.Message -join "`n") | Should -Not -Match 'probe-pw'
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while (-not (Get-ChildItem (Join-Path $dir 'mail/example.test/alice/Maildir/new') -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-Content (Get-ChildItem (Join-Path $dir 'mail/example.test/alice/Maildir/new'))[0].FullName -Raw | Should -Match 'X-Pester: yes'
    }

    It 'takes servers from the pipeline by property name and reports a bad one as an error without stopping the rest' {
        $results = @([pscustomobject]@{ Host = "127.0.0.1:$($ports[0])" }, [pscustomobject]@{ Host = 'bad host:x' }) |
            Invoke-SmtpProbe -Tls None -QuitAfter Ehlo -ErrorVariable problems -ErrorAction SilentlyContinue
        $results.Count | Should -Be 1
        $results[0].LastStage | Should -Be 'Ehlo'
        $problems[0].FullyQualifiedErrorId | Should -Match '^InvalidServer'
    }

    It 'names the open-relay variants it tried' {
        $r = Invoke-SmtpProbe "127.0.0.1:$($ports[0])" -Tls None -TestRelay
        $r.Relay.Attempts.Count | Should -Be 16
        # The bundled server lets loopback clients relay by default (mynetworks).
        $r.Relay.IsOpenRelay | Should -BeTrue
        ($r.Relay.Attempts | Format-Table | Out-String -Width 300) | Should -Match 'relaytest@example\.net'
    }
}
