# Host sessions against real sshd instances on 127.0.0.1 and 127.0.0.2, and the configuration cmdlets over them and locally.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSsh.psm1') -Force
    $first = Start-TestSsh -Address 127.0.0.1
    $second = Start-TestSsh -Address 127.0.0.2
    # Both servers authorize the first server's client key; one known_hosts lists both.
    Copy-Item "$($first.ClientKey).pub" (Join-Path $second.Directory 'authorized_keys') -Force
    $knownHosts = Join-Path $first.Directory 'fleet_known_hosts'
    @(Get-Content $first.KnownHosts) + @(Get-Content $second.KnownHosts) | Set-Content $knownHosts
    $connect = @{ KeyFilePath = $first.ClientKey; KnownHostsPath = $knownHosts; UserName = 'root' }
    function New-PostfixCopy {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-postfix-' + [guid]::NewGuid().ToString('N').Substring(0, 8)))
        Copy-Item /etc/postfix/main.cf, /etc/postfix/master.cf $dir
        & postconf -c $dir -e 'myhostname=pester.test' 'smtpd_banner=$myhostname ESMTP pester'
        $dir.FullName
    }
}

AfterAll {
    Get-MailHostSession | Remove-MailHostSession
    Stop-TestSsh $first
    Stop-TestSsh $second
}

Describe 'New-, Get- and Remove-MailHostSession' {
    AfterEach { Get-MailHostSession | Remove-MailHostSession }

    It 'opens one session per host with the fingerprint ssh-keygen prints, and an unreachable host is an ErrorRecord for that host while the other connects' {
        $sessions = @(New-MailHostSession -HostName 127.0.0.1, 127.0.0.3 -Port $first.Port @connect -ErrorVariable failed -ErrorAction SilentlyContinue)
        $sessions.Count | Should -Be 1
        $sessions[0].HostName | Should -Be '127.0.0.1'
        $sessions[0].State | Should -Be 'Opened'
        $sessions[0].HostKeyFingerprint | Should -Be $first.Fingerprint
        $sessions[0] | Should -BeOfType ([MailOps.Hosts.MailHostSession])
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailHostUnreachable,*'
        $failed[0].TargetObject | Should -Be '127.0.0.3'
        $failed[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'refuses an unknown host key with SshHostKeyUnknown, accepts it with -AcceptNewHostKey and writes known_hosts that ssh-keygen reads' {
        $fresh = Join-Path $first.Directory "fresh_known_hosts_$([guid]::NewGuid().ToString('N'))"
        $none = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port -KeyFilePath $first.ClientKey -KnownHostsPath $fresh -ErrorVariable refused -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'SshHostKeyUnknown,*'
        $refused[0].Exception.Message | Should -BeLike "*$($second.Fingerprint)*"
        $fresh | Should -Not -Exist
        $session = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port -KeyFilePath $first.ClientKey -KnownHostsPath $fresh -AcceptNewHostKey
        $session.HostKeyFingerprint | Should -Be $second.Fingerprint
        & ssh-keygen -F "[127.0.0.2]:$($second.Port)" -f $fresh | Out-Null
        $LASTEXITCODE | Should -Be 0
    }

    It 'refuses a changed host key with SshHostKeyMismatch naming the fingerprint the host presented' {
        $stale = Join-Path $first.Directory "stale_known_hosts_$([guid]::NewGuid().ToString('N'))"
        # The second server's key recorded for the first server's address and port: as if the host had been replaced.
        $key = (Get-Content $second.KnownHosts).Split(' ', 2)[1]
        "[127.0.0.1]:$($first.Port) $key" | Set-Content $stale
        $before = Get-FileHash $stale
        New-MailHostSession -HostName 127.0.0.1 -Port $first.Port -KeyFilePath $first.ClientKey -KnownHostsPath $stale -AcceptNewHostKey -ErrorVariable refused -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'SshHostKeyMismatch,*'
        $refused[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $refused[0].Exception.Message | Should -BeLike "*$($first.Fingerprint)*"
        (Get-FileHash $stale).Hash | Should -Be $before.Hash
    }

    It 'lists sessions by Id and host name, keeps one with -WhatIf and closes it from the pipeline' {
        $a = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $b = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port @connect
        (Get-MailHostSession -Id $b.Id).HostName | Should -Be '127.0.0.2'
        @(Get-MailHostSession -HostName '127.0.0.*').Count | Should -Be 2
        Get-MailHostSession -HostName nosuch.example -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'MailHostSessionNotFound,*'
        Get-MailHostSession -Id $a.Id | Remove-MailHostSession -WhatIf
        $a.State | Should -Be 'Opened'
        Get-MailHostSession -Id $a.Id | Remove-MailHostSession
        $a.State | Should -Be 'Closed'
        (Get-MailHostSession).Id | Should -Be @($b.Id)
    }
}

Describe 'Configuration cmdlets over sessions and locally' {
    BeforeAll {
        $a = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $b = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port @connect
    }
    AfterAll { Get-MailHostSession | Remove-MailHostSession }

    It 'reads main.cf from both hosts in parallel, each result stamped with its host, the values those of postconf -h' {
        $dir = New-PostfixCopy
        $all = @(Get-PostfixConfig -Session $a, $b -ConfigDirectory $dir)
        ($all.ComputerName | Sort-Object -Unique) | Should -Be @('127.0.0.1', '127.0.0.2')
        $all | Should -BeOfType ([MailOps.Config.PostfixParameter])
        $hostname = $all | Where-Object { $_.Name -eq 'myhostname' -and $_.ComputerName -eq '127.0.0.2' }
        $hostname.Value | Should -Be 'pester.test'
        $hostname.IsDefault | Should -BeFalse
        $hostname.Source | Should -Be "$dir/main.cf"
        foreach ($p in $all | Where-Object ComputerName -eq '127.0.0.1') { $p.Value | Should -Be ((& postconf -c $dir -h $p.Name) -join "`n") }
        $local = @(Get-PostfixConfig -ConfigDirectory $dir)
        $local.Count | Should -Be ($all.Count / 2)
        $local[0].ComputerName | Should -Be ([Environment]::MachineName)
    }

    It 'marks defaults with -All, answers -Name for a default, and reads master.cf with -Master' {
        $dir = New-PostfixCopy
        $helo = Get-PostfixConfig -Session $a -ConfigDirectory $dir -Name smtpd_helo_required
        $helo.IsDefault | Should -BeTrue
        $helo.Source | Should -BeNullOrEmpty
        $all = Get-PostfixConfig -Session $a -ConfigDirectory $dir -All
        ($all | Where-Object Name -eq myhostname).IsDefault | Should -BeFalse
        ($all | Where-Object Name -eq smtpd_helo_required).DefaultValue | Should -Be 'no'
        $smtp = Get-PostfixConfig -Session $b -ConfigDirectory $dir -Master -Name smtp | Where-Object Type -eq inet
        $smtp.Command | Should -Be 'smtpd'
        $smtp.ComputerName | Should -Be '127.0.0.2'
        Get-PostfixConfig -Session $a -ConfigDirectory $dir -Name no_such_parameter -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'PostfixConfigNotFound,*'
    }

    It 'turns a host that went down into an ErrorRecord for that session while the other host answers' {
        $third = Start-TestSsh -Address 127.0.0.4
        try {
            Copy-Item "$($first.ClientKey).pub" (Join-Path $third.Directory 'authorized_keys') -Force
            $c = New-MailHostSession -HostName 127.0.0.4 -Port $third.Port -KeyFilePath $first.ClientKey -KnownHostsPath $third.KnownHosts
            $third.Process.Kill($true); $third.Process.WaitForExit(10000) | Out-Null
            $results = @(Get-PostfixConfig -Session $c, $a -Name mail_version -ErrorVariable failed -ErrorAction SilentlyContinue)
            $results.ComputerName | Should -Be @('127.0.0.1')
            @($failed).Count | Should -Be 1
            $failed[0].TargetObject | Should -Be $c
            $c.State | Should -Not -Be 'Opened'
        }
        finally { Stop-TestSsh $third }
    }

    It 'leaves main.cf byte-identical with -WhatIf and changes it over SSH, writing shell characters literally' {
        $dir = New-PostfixCopy
        $marker = Join-Path $dir 'injected'
        $before = Get-FileHash (Join-Path $dir 'main.cf')
        Set-PostfixConfig -Session $a -ConfigDirectory $dir -Name smtpd_banner -Value 'x' -NoReload -WhatIf
        (Get-FileHash (Join-Path $dir 'main.cf')).Hash | Should -Be $before.Hash
        # Postfix reads $(name) as its own macro syntax, so the shell's $( ) is proven in the xunit tests with printf.
        $value = "`$myhostname ESMTP ``touch $marker``; touch $marker && touch $marker | tee $marker 'q' `"d`" > $marker"
        $changed = Set-PostfixConfig -Session $a -ConfigDirectory $dir -Name smtpd_banner -Value $value -NoReload -PassThru
        $changed.Value | Should -Be $value
        (& postconf -c $dir -h smtpd_banner) | Should -Be $value
        Get-Content (Join-Path $dir 'main.cf') | Should -Contain "smtpd_banner = $value"
        $marker | Should -Not -Exist
    }

    It 'refuses an unknown parameter per host and goes on; routes piped Get-PostfixConfig objects back to their own host' {
        $dir = New-PostfixCopy
        Set-PostfixConfig -Session $a, $b -ConfigDirectory $dir -Name no_such_parameter -Value x -NoReload -ErrorVariable unknown -ErrorAction SilentlyContinue
        @($unknown).Count | Should -Be 2
        $unknown[0].FullyQualifiedErrorId | Should -BeLike 'PostfixParameterUnknown,*'
        $routed = @(Get-PostfixConfig -Session $b -ConfigDirectory $dir -Name smtpd_tls_security_level |
            Select-Object Name, ConfigDirectory, ComputerName, @{ Name = 'Value'; Expression = { 'encrypt' } } |
            Set-PostfixConfig -Session $a, $b -NoReload -PassThru)
        $routed.ComputerName | Should -Be @('127.0.0.2')
        (& postconf -c $dir -h smtpd_tls_security_level) | Should -Be 'encrypt'
    }

    It 'reads Dovecot settings flattened, the same over SSH and locally' {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailops-pester-doveconf-' + [guid]::NewGuid().ToString('N').Substring(0, 8)))
        @"
protocols = imap
base_dir = $dir/run
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imaps {
    port = 10993
  }
}
passdb {
  driver = passwd-file
  args = $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}
"@ | Set-Content (Join-Path $dir 'dovecot.conf')
        $conf = Join-Path $dir 'dovecot.conf'
        $remote = @(Get-DovecotConfig -Session $a -ConfigPath $conf)
        $local = @(Get-DovecotConfig -ConfigPath $conf)
        ($remote | ForEach-Object { "$($_.Name)=$($_.Value)" }) | Should -Be ($local | ForEach-Object { "$($_.Name)=$($_.Value)" })
        ($remote | Where-Object Name -eq 'service imap-login/inet_listener imaps/port').Value | Should -Be '10993'
        $remote[0].Source | Should -Be $conf
        $remote[0].ComputerName | Should -Be '127.0.0.1'
        $limit = Get-DovecotConfig -Session $a -ConfigPath $conf -Name mail_max_userip_connections
        $limit.IsDefault | Should -BeTrue
        $limit.Value | Should -Be (& doveconf -c $conf -h mail_max_userip_connections)
    }
}
