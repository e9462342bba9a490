# New-, Get-, Set-, Remove-MailUser as an administrator meets them, and a user made here logging in to Debian's Dovecot.
# (Get-MailUser).Address would not enumerate: an object[] has its own Address(int) method; ForEach-Object Address does.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestDovecot.psm1') -Force
    function New-TestServer {
        # A server configuration whose data (users.passwd, virtual) lives in a fresh temporary folder.
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailuser-' + [guid]::NewGuid().ToString('N')))
        $config = New-MailServerConfig (Join-Path $dir 'mailops.jsonc') -DataPath (Join-Path $dir 'data') -Hostname mx.localhost.localdomain
        [pscustomobject]@{ Directory = $dir.FullName; ConfigPath = $config.FullName; UsersFile = Join-Path $dir 'data/users.passwd' }
    }
    function Secure([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }
}

Describe 'New-MailUser' {
    BeforeEach { $server = New-TestServer }
    AfterEach { Remove-Item $server.Directory -Recurse -Force }

    It 'stores a SHA512-CRYPT hash in a new 0600 file, never the password, and returns the user without the hash' {
        $user = New-MailUser Alice@LocalHost.LocalDomain -Password (Secure 'Plain-Text-42') -QuotaBytes 1GB -ConfigPath $server.ConfigPath
        $user | Should -BeOfType ([MailOps.PowerShell.MailUserInfo])
        $user.Address | Should -Be 'alice@localhost.localdomain'
        $user.Domain | Should -Be 'localhost.localdomain'
        $user.Enabled | Should -BeTrue
        $user.QuotaBytes | Should -Be 1GB
        $user.PSObject.Properties.Name | Should -Not -Contain 'PasswordHash'
        $text = Get-Content $server.UsersFile -Raw
        $text | Should -Match '^alice@localhost\.localdomain:\{SHA512-CRYPT\}\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}:'
        $text | Should -Match 'userdb_quota_rule=\*:storage=1G'
        $text | Should -Not -Match 'Plain-Text-42'
        (Get-Item $server.UsersFile).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
    }

    It 'takes the password of a PSCredential' {
        $credential = [pscredential]::new('ignored', (Secure 'From-Credential-1'))
        New-MailUser bob@localhost.localdomain -Credential $credential -ConfigPath $server.ConfigPath | Out-Null
        $hash = (Get-Content $server.UsersFile) -split ':' | Select-Object -Index 1
        [MailOps.Engine.Auth.PasswordScheme]::Verify('From-Credential-1', $hash) | Should -BeTrue
    }

    It 'refuses an existing user with MailUserExists, another domain with MailUserDomainNotLocal, nonsense with InvalidMailAddress, and goes on with the rest' {
        New-MailUser alice@localhost.localdomain -Password (Secure 'x1') -ConfigPath $server.ConfigPath | Out-Null
        $made = 'alice@localhost.localdomain', 'eve@example.com', 'not an address', 'dave@localhost.localdomain' |
            ForEach-Object { [pscustomobject]@{ Address = $_ } } |
            New-MailUser -Password (Secure 'x2') -ConfigPath $server.ConfigPath -ErrorVariable errs -ErrorAction SilentlyContinue
        $made | ForEach-Object Address | Should -Be 'dave@localhost.localdomain'
        $errs.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Should -Be @('MailUserExists', 'MailUserDomainNotLocal', 'InvalidMailAddress')
        $errs.CategoryInfo.Category | Should -Be @('ResourceExists', 'InvalidArgument', 'InvalidArgument')
        $errs[0].TargetObject | Should -Be 'alice@localhost.localdomain'
        (Get-MailUser -ConfigPath $server.ConfigPath | ForEach-Object Address) | Should -Be @('alice@localhost.localdomain', 'dave@localhost.localdomain')
    }

    It 'writes nothing with -WhatIf' {
        New-MailUser alice@localhost.localdomain -Password (Secure 'x') -ConfigPath $server.ConfigPath -WhatIf | Should -BeNullOrEmpty
        $server.UsersFile | Should -Not -Exist
    }

    It 'uses the embedded default under $XDG_DATA_HOME without -ConfigPath' {
        $saved = $env:XDG_DATA_HOME
        try {
            $env:XDG_DATA_HOME = Join-Path $server.Directory 'xdg'
            New-MailUser root@localhost.localdomain -Password (Secure 'x') | Out-Null
            Join-Path $server.Directory 'xdg/mailops/users.passwd' | Should -Exist
            (Get-MailUser | ForEach-Object Address) | Should -Be 'root@localhost.localdomain'
        }
        finally { $env:XDG_DATA_HOME = $saved }
    }

    It 'reports a configuration that does not exist with MailServerConfigNotFound' {
        New-MailUser a@localhost.localdomain -Password (Secure 'x') -ConfigPath (Join-Path $server.Directory 'none.jsonc') -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailServerConfigNotFound,*'
    }
}

Describe 'Get-, Set- and Remove-MailUser' {
    BeforeEach {
        $server = New-TestServer
        'ann', 'andy', 'zoe' | ForEach-Object { New-MailUser "$_@localhost.localdomain" -Password (Secure "pw-$_") -ConfigPath $server.ConfigPath } | Out-Null
    }
    AfterEach { Remove-Item $server.Directory -Recurse -Force }

    It 'gets users by exact address, wildcard and all, and reports an unknown exact address with MailUserNotFound' {
        (Get-MailUser -ConfigPath $server.ConfigPath | ForEach-Object Address) | Should -Be @('ann@localhost.localdomain', 'andy@localhost.localdomain', 'zoe@localhost.localdomain')
        (Get-MailUser 'AN*' -ConfigPath $server.ConfigPath | ForEach-Object Address) | Should -Be @('ann@localhost.localdomain', 'andy@localhost.localdomain')
        (Get-MailUser 'ZOE@localhost.localdomain' -ConfigPath $server.ConfigPath | ForEach-Object Address) | Should -Be 'zoe@localhost.localdomain'
        Get-MailUser 'nobody*' -ConfigPath $server.ConfigPath -ErrorVariable none | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
        $found = Get-MailUser 'nobody@localhost.localdomain', 'zoe@localhost.localdomain' -ConfigPath $server.ConfigPath -ErrorVariable errs -ErrorAction SilentlyContinue
        $found | ForEach-Object Address | Should -Be 'zoe@localhost.localdomain'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailUserNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'changes users piped from Get-MailUser, which carry their -ConfigPath along' {
        $changed = Get-MailUser 'an*' -ConfigPath $server.ConfigPath | Set-MailUser -Enabled $false -QuotaBytes 5MB -PassThru
        $changed.Enabled | Should -Be @($false, $false)
        $changed.QuotaBytes | Should -Be @(5MB, 5MB)
        (Get-MailUser zoe@localhost.localdomain -ConfigPath $server.ConfigPath).Enabled | Should -BeTrue
        Get-Content $server.UsersFile | Select-String 'nologin=y' | Should -HaveCount 2
        Set-MailUser ann@localhost.localdomain -Enabled $true -QuotaBytes 0 -ConfigPath $server.ConfigPath
        $ann = Get-MailUser ann@localhost.localdomain -ConfigPath $server.ConfigPath
        $ann.Enabled | Should -BeTrue
        $ann.QuotaBytes | Should -BeNullOrEmpty
    }

    It 'sets a new password as a new SHA512-CRYPT hash' {
        Set-MailUser zoe@localhost.localdomain -Password (Secure 'Brand-New-9') -ConfigPath $server.ConfigPath
        $line = Get-Content $server.UsersFile | Where-Object { $_ -like 'zoe@*' }
        $hash = ($line -split ':')[1]
        $hash | Should -BeLike '{SHA512-CRYPT}$6$*'
        [MailOps.Engine.Auth.PasswordScheme]::Verify('Brand-New-9', $hash) | Should -BeTrue
        Get-Content $server.UsersFile -Raw | Should -Not -Match 'Brand-New-9'
    }

    It 'reports an unknown user in a pipeline with MailUserNotFound and still changes the others' {
        'ann@localhost.localdomain', 'ghost@localhost.localdomain', 'zoe@localhost.localdomain' | ForEach-Object { [pscustomobject]@{ Address = $_; ConfigPath = $server.ConfigPath } } |
            Set-MailUser -Enabled $false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailUserNotFound,*'
        $errs[0].TargetObject | Should -Be 'ghost@localhost.localdomain'
        (Get-MailUser -ConfigPath $server.ConfigPath | Where-Object { -not $_.Enabled } | ForEach-Object Address) | Should -Be @('ann@localhost.localdomain', 'zoe@localhost.localdomain')
    }

    It 'changes and removes nothing with -WhatIf' {
        $before = Get-Content $server.UsersFile -Raw
        Get-MailUser -ConfigPath $server.ConfigPath | Set-MailUser -Enabled $false -Password (Secure 'new') -WhatIf
        Get-MailUser -ConfigPath $server.ConfigPath | Remove-MailUser -WhatIf
        Get-Content $server.UsersFile -Raw | Should -Be $before
    }

    It 'removes users piped from Get-MailUser, and reports a missing one with MailUserNotFound' {
        Get-MailUser 'an*' -ConfigPath $server.ConfigPath | Remove-MailUser -Confirm:$false
        (Get-MailUser -ConfigPath $server.ConfigPath | ForEach-Object Address) | Should -Be 'zoe@localhost.localdomain'
        Remove-MailUser ann@localhost.localdomain -ConfigPath $server.ConfigPath -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailUserNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'has ConfirmImpact High on Remove-MailUser' {
        (Get-Command Remove-MailUser).ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
    }

    It 'keeps the owner, group and mode of an existing users file' {
        & chown root:dovecot $server.UsersFile
        & chmod 0640 $server.UsersFile
        Set-MailUser zoe@localhost.localdomain -QuotaBytes 1MB -ConfigPath $server.ConfigPath
        (& stat -c '%U:%G %a' $server.UsersFile) | Should -Be 'root:dovecot 640'
    }
}

Describe 'A user made by New-MailUser logs in to Debian''s Dovecot' {
    BeforeAll {
        $server = New-TestServer
        # Dovecot's auth process runs as dovecot: the file must be readable by it, and its folders traversable.
        New-MailUser alice@localhost.localdomain -Password (Secure 'Right-Pass-1') -ConfigPath $server.ConfigPath | Out-Null
        & chmod 0755 $server.Directory (Split-Path $server.UsersFile)
        & chown root:dovecot $server.UsersFile
        & chmod 0640 $server.UsersFile
        $dovecot = Start-TestDovecot -PasswdFile $server.UsersFile
    }
    AfterAll {
        Stop-TestDovecot $dovecot
        Remove-Item $server.Directory -Recurse -Force
    }

    It 'accepts the right password' {
        Test-ImapLogin $dovecot alice@localhost.localdomain 'Right-Pass-1' | Should -BeTrue
    }

    It 'refuses a wrong password' {
        Test-ImapLogin $dovecot alice@localhost.localdomain 'Wrong-Pass-1' | Should -BeFalse
    }

    It 'accepts a user added while it runs, and the password Set-MailUser gives' {
        New-MailUser bob@localhost.localdomain -Password (Secure 'Bob-Pass-1') -ConfigPath $server.ConfigPath | Out-Null
        Wait-ImapLogin $dovecot bob@localhost.localdomain 'Bob-Pass-1' $true | Should -BeTrue
        Set-MailUser bob@localhost.localdomain -Password (Secure 'Bob-Pass-2') -ConfigPath $server.ConfigPath
        Wait-ImapLogin $dovecot bob@localhost.localdomain 'Bob-Pass-2' $true | Should -BeTrue
        Test-ImapLogin $dovecot bob@localhost.localdomain 'Bob-Pass-1' | Should -BeFalse
    }

    It 'refuses a disabled user with the right password, and accepts it again once enabled' {
        Set-MailUser alice@localhost.localdomain -Enabled $false -ConfigPath $server.ConfigPath
        Wait-ImapLogin $dovecot alice@localhost.localdomain 'Right-Pass-1' $false | Should -BeFalse
        Set-MailUser alice@localhost.localdomain -Enabled $true -ConfigPath $server.ConfigPath
        Wait-ImapLogin $dovecot alice@localhost.localdomain 'Right-Pass-1' $true | Should -BeTrue
    }

    It 'refuses a removed user' {
        Remove-MailUser bob@localhost.localdomain -ConfigPath $server.ConfigPath -Confirm:$false
        Wait-ImapLogin $dovecot bob@localhost.localdomain 'Bob-Pass-2' $false | Should -BeFalse
    }
}
