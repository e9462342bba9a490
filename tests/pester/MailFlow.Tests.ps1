# Invoke-ImapProbe, Invoke-Pop3Probe and Test-MailFlow as a user meets them: the bundled server started by the test writes
# Maildirs as the mail account, and Debian's Dovecot serves them over IMAP and POP3 with the server's own passwd-file.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    function Get-FreePort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
    $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('flow-' + [guid]::NewGuid().ToString('N')))
    $config = New-MailServerConfig (Join-Path $dir 'server.jsonc') -DataPath $dir -Hostname mx.example.test
    $ports = 1..5 | ForEach-Object { Get-FreePort }
    (Get-Content $config -Raw) -replace '"localhost.localdomain"', '"example.test"' -replace ':2525', ":$($ports[0])" -replace ':2587', ":$($ports[1])" `
        -replace ':2465', ":$($ports[2])" -replace '"mailOwner": null', '"mailOwner": "mail"' | Set-Content $config
    $password = ConvertTo-SecureString 'flow-pw' -AsPlainText -Force
    New-MailUser -Address alice@example.test -Password $password -ConfigPath $config | Out-Null
    chgrp dovecot (Join-Path $dir 'users.passwd'); chmod 640 (Join-Path $dir 'users.passwd')
    $credential = [pscredential]::new('alice@example.test', $password)
    Start-MailServer -ConfigPath $config -Name pester-flow | Out-Null
    @"
protocols = imap pop3
listen = 127.0.0.1
base_dir = $dir/dovecot
state_dir = $dir/dovecot
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
first_valid_uid = 1
mail_uid = mail
mail_gid = mail
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $dir/users.passwd
}
userdb {
  driver = static
  args = home=$dir/mail/%d/%n mail=maildir:~/Maildir
}
service imap-login {
  inet_listener imap {
    port = $($ports[3])
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $($ports[4])
  }
  inet_listener pop3s {
    port = 0
  }
}
"@ | Set-Content (Join-Path $dir 'dovecot.conf')
    Start-Process dovecot -ArgumentList '-c', (Join-Path $dir 'dovecot.conf')
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while (-not (Invoke-ImapProbe "127.0.0.1:$($ports[3])" -Tls None -Timeout 2).Succeeded -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
}

AfterAll {
    doveadm -c (Join-Path $dir 'dovecot.conf') stop
    Stop-MailServer -Name pester-flow
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Test-MailFlow' {
    It 'sends through the bundled server and fetches back over IMAP, with latency and the Received chain, then deletes the message' {
        $r = Test-MailFlow "127.0.0.1:$($ports[0])" -From bob@remote.test -To alice@example.test -Credential $credential `
            -MailboxServer "127.0.0.1:$($ports[3])" -MailboxTls None -SkipCertificateCheck -Timeout 30
        $r | Should -BeOfType ([MailOps.Probes.MailFlowResult])
        $r.Result | Should -Be 'Success'
        $r.Latency | Should -BeGreaterThan ([TimeSpan]::Zero)
        $r.Hops | Should -Be 1
        $r.ReceivedChain[0] | Should -Match "by mx\.example\.test \(MailOps\) with ESMTPS id $($r.QueueId)"
        $r.Send.Tls.Protocol | Should -Be 'Tls13'
        ($r | Format-Table | Out-String -Width 200) | Should -Match 'Imap\s+Success'
        @(Get-ChildItem (Join-Path $dir 'mail/example.test/alice/Maildir/cur'), (Join-Path $dir 'mail/example.test/alice/Maildir/new') -File -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'fetches over POP3 and keeps the message with -KeepMessage' {
        $r = Test-MailFlow "127.0.0.1:$($ports[0])" -From bob@remote.test -To alice@example.test -Credential $credential -Protocol Pop3 `
            -MailboxServer "127.0.0.1:$($ports[4])" -MailboxTls None -SkipCertificateCheck -KeepMessage -Timeout 30
        $r.Result | Should -Be 'Success'
        $r.Protocol | Should -Be 'Pop3'
        (Invoke-Pop3Probe "127.0.0.1:$($ports[4])" -Tls None -Credential $credential).MessageCount | Should -Be 1
    }

    It 'reports a server that takes nothing as SendFailed without an error' {
        $r = Test-MailFlow "127.0.0.1:$(Get-FreePort)" -From bob@remote.test -To alice@example.test -Credential $credential -ErrorVariable problems
        $r.Result | Should -Be 'SendFailed'
        $r.Send.Result | Should -Be 'Connect'
        $problems | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-ImapProbe and Invoke-Pop3Probe' {
    It 'logs in over IMAP and lists the mailboxes with counts' {
        $r = Invoke-ImapProbe "127.0.0.1:$($ports[3])" -Credential $credential
        $r | Should -BeOfType ([MailOps.Probes.ImapProbeResult])
        $r.Result | Should -Be 'Success'
        $r.Banner | Should -Match '^\* OK'
        $r.Capabilities | Should -Contain 'IMAP4rev1'
        $r.LoginSucceeded | Should -BeTrue
        # The POP3 round trip above kept its message.
        ($r.Mailboxes | Where-Object Name -eq 'INBOX').Messages | Should -Be 1
    }

    It 'reports a wrong password as a Login result and masks it in the verbose transcript' {
        $wrong = [pscredential]::new('alice@example.test', (ConvertTo-SecureString 'not-it' -AsPlainText -Force))
        $out = Invoke-Pop3Probe "127.0.0.1:$($ports[4])" -Credential $wrong -Verbose 4>&1
        $r = $out | Where-Object { $_ -is [MailOps.Probes.Pop3ProbeResult] }
        $r.Result | Should -Be 'Login'
        $r.LoginSucceeded | Should -BeFalse
        (($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'PASS \*{8}'
        (($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Not -Match 'not-it'
    }
}
