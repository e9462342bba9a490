# The user and alias cmdlets on Dovecot/Postfix "hosts" (real sshd on 127.0.0.1 and 127.0.0.2) and locally: a user made
# over SSH logs in to Debian's Dovecot, an alias resolves with Postfix's postmap, objects go back to their own host.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestDovecot.psm1') -Force
    $first = Start-TestSsh -Address 127.0.0.1
    $second = Start-TestSsh -Address 127.0.0.2
    Copy-Item "$($first.ClientKey).pub" (Join-Path $second.Directory 'authorized_keys') -Force
    $knownHosts = Join-Path $first.Directory 'fleet_known_hosts'
    @(Get-Content $first.KnownHosts) + @(Get-Content $second.KnownHosts) | Set-Content $knownHosts
    $connect = @{ KeyFilePath = $first.ClientKey; KnownHostsPath = $knownHosts; UserName = 'root' }
    function Secure([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }
    function New-HostFolder {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailops-hostusers-' + [guid]::NewGuid().ToString('N').Substring(0, 8)))
        [IO.File]::SetUnixFileMode($dir.FullName, [IO.UnixFileMode][Convert]::ToInt32('755', 8))
        $dir.FullName
    }
    function New-DovecotUsersFile([string] $Dir) {
        # As an administrator sets it up: Dovecot's auth process runs as the dovecot user, so root:dovecot 0640.
        $path = Join-Path $Dir 'users'
        Set-Content $path '# users of example.com'
        & chgrp dovecot $path
        [IO.File]::SetUnixFileMode($path, [IO.UnixFileMode][Convert]::ToInt32('640', 8))
        $path
    }
}

AfterAll {
    Get-MailHostSession | Remove-MailHostSession
    Stop-TestSsh $first
    Stop-TestSsh $second
}

Describe 'Users in a Dovecot passwd-file over SSH' {
    BeforeAll {
        $dir = New-HostFolder
        $users = New-DovecotUsersFile $dir
        $dovecot = Start-TestDovecot -PasswdFile $users
    }
    AfterAll {
        Stop-TestDovecot $dovecot
        Remove-Item $dir -Recurse -Force
    }
    AfterEach { Get-MailHostSession | Remove-MailHostSession }

    It 'creates a user that logs in to Dovecot, changes its password so only the new one works, disables it from the pipeline and removes it' {
        $s = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $before = Get-Content $users -Raw
        $user = New-MailUser Alice@Example.com -Password (Secure 'First-Horse-1') -QuotaBytes 1GB -Session $s -UsersFile $users
        $user | Should -BeOfType ([MailOps.PowerShell.MailUserInfo])
        $user.ComputerName | Should -Be '127.0.0.1'
        $user.Address | Should -Be 'alice@example.com'
        $user.UsersFile | Should -Be $users
        Wait-ImapLogin -Dovecot $dovecot -User alice@example.com -Password 'First-Horse-1' -Expected $true | Should -BeTrue
        # The previous file is kept beside it; the new one keeps the owner, group and mode Dovecot needs.
        Get-Content "$users.bak" -Raw | Should -Be $before
        (& stat -c '%U:%G %a' $users) | Should -Be 'root:dovecot 640'

        Set-MailUser alice@example.com -Password (Secure 'Second-Horse-2') -Session $s -UsersFile $users
        Wait-ImapLogin -Dovecot $dovecot -User alice@example.com -Password 'Second-Horse-2' -Expected $true | Should -BeTrue
        Test-ImapLogin -Dovecot $dovecot -User alice@example.com -Password 'First-Horse-1' | Should -BeFalse

        Get-MailUser -Session $s -UsersFile $users | Set-MailUser -Enabled $false
        (Get-MailUser alice@example.com -Session $s -UsersFile $users).Enabled | Should -BeFalse
        Wait-ImapLogin -Dovecot $dovecot -User alice@example.com -Password 'Second-Horse-2' -Expected $false | Should -BeFalse

        Get-MailUser -Session $s -UsersFile $users | Where-Object Enabled -eq $false | Remove-MailUser -Confirm:$false
        Get-MailUser alice@example.com -Session $s -UsersFile $users -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'MailUserNotFound,*'
        (Get-Content $users -Raw) | Should -Be $before
    }

    It 'leaves every file byte-identical with -WhatIf' {
        $s = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        New-MailUser bob@example.com -Password (Secure 'Bob-Pass-1') -Session $s -UsersFile $users | Out-Null
        $hash = (Get-FileHash $users).Hash
        $backup = (Get-FileHash "$users.bak").Hash
        New-MailUser carol@example.com -Password (Secure 'Carol-Pass-1') -Session $s -UsersFile $users -WhatIf
        Set-MailUser bob@example.com -Password (Secure 'Other-1') -Enabled $false -Session $s -UsersFile $users -WhatIf
        Get-MailUser -Session $s -UsersFile $users | Remove-MailUser -WhatIf
        (Get-FileHash $users).Hash | Should -Be $hash
        (Get-FileHash "$users.bak").Hash | Should -Be $backup
        Remove-MailUser bob@example.com -Session $s -UsersFile $users -Confirm:$false
    }

    It 'keeps the changes of writers that run at the same time on one host' {
        $module = Join-Path $root 'MailOps.psd1'
        $port = $first.Port
        $key = $first.ClientKey
        1..6 | ForEach-Object -ThrottleLimit 6 -Parallel {
            Import-Module $using:module
            $s = New-MailHostSession -HostName 127.0.0.1 -Port $using:port -KeyFilePath $using:key -KnownHostsPath $using:knownHosts -UserName root
            New-MailUser "parallel$_@example.com" -Password (ConvertTo-SecureString "Pass-$_-x" -AsPlainText -Force) -Session $s -UsersFile $using:users | Out-Null
            Remove-MailHostSession $s
        }
        $s = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $found = @(Get-MailUser 'parallel*' -Session $s -UsersFile $users)
        $found.Count | Should -Be 6
        $found | Remove-MailUser -Confirm:$false
    }
}

Describe 'Users on several hosts' {
    BeforeEach {
        $dirA = New-HostFolder
        $usersA = New-DovecotUsersFile $dirA
        $dirB = New-HostFolder
        $usersB = New-DovecotUsersFile $dirB
    }
    AfterEach {
        Get-MailHostSession | Remove-MailHostSession
        Remove-Item $dirA, $dirB -Recurse -Force
    }

    It 'sends each piped user back to its own host by ComputerName, and one whose host has no open session is an error for it alone' {
        $a = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $b = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port @connect
        New-MailUser dave@example.com -Password (Secure 'Dave-Pass-1') -Session $a -UsersFile $usersA | Out-Null
        New-MailUser dave@example.com -Password (Secure 'Dave-Pass-1') -Session $b -UsersFile $usersB | Out-Null
        $listed = @(Get-MailUser -Session $a -UsersFile $usersA) + @(Get-MailUser -Session $b -UsersFile $usersB)
        ($listed.ComputerName | Sort-Object) -join ',' | Should -Be '127.0.0.1,127.0.0.2'
        Remove-MailHostSession $b
        $listed | Remove-MailUser -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailHostSessionNotFound,*'
        $failed[0].TargetObject | Should -Be '127.0.0.2'
        Get-Content $usersA -Raw | Should -Not -Match '(?m)dave@'
        Get-Content $usersB -Raw | Should -Match '(?m)^dave@example\.com:'
    }

    It 'creates the user on the host that is up and writes an error record for the one that is down' {
        $third = Start-TestSsh -Address 127.0.0.2
        try {
            Copy-Item "$($first.ClientKey).pub" (Join-Path $third.Directory 'authorized_keys') -Force
            $a = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
            $down = New-MailHostSession -HostName 127.0.0.2 -Port $third.Port -KeyFilePath $first.ClientKey -KnownHostsPath $third.KnownHosts
            Stop-TestSsh $third
            $created = @(New-MailUser erin@example.com -Password (Secure 'Erin-Pass-1') -Session $a, $down -UsersFile $usersA -ErrorVariable failed -ErrorAction SilentlyContinue)
            $created.Count | Should -Be 1
            $created[0].ComputerName | Should -Be '127.0.0.1'
            @($failed).Count | Should -Be 1
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'MailHostUnreachable,*'
            $failed[0].TargetObject | Should -Be $down
            Get-Content $usersA -Raw | Should -Match '(?m)^erin@example\.com:'
        }
        finally { Stop-TestSsh $third }
    }

    It 'refuses an address with shell syntax that is not an address, and keeps a file name with shell syntax inert' {
        $a = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $marker = Join-Path $dirA 'marker'
        New-MailUser "x;touch $marker@example.com" -Password (Secure 'Pass-1') -Session $a -UsersFile $usersA -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMailAddress,*'
        # A relative name: were it run, it would appear in the remote shell's working directory (root's home) or here.
        $token = "mk$([guid]::NewGuid().ToString('N'))"
        $odd = Join-Path $dirA "users';touch $token;'`$(touch $token)``touch $token``"
        New-MailUser "a`$(touch`${IFS}$token)``id``@example.com" -Password (Secure 'Pass-1') -Session $a -UsersFile $odd | Out-Null
        (Get-MailUser -Session $a -UsersFile $odd).Address | Should -Be "a`$(touch`${ifs}$token)``id``@example.com"
        $marker | Should -Not -Exist
        foreach ($where in (& getent passwd root).Split(':')[5], $dirA, '/', (Get-Location).Path) { Join-Path $where $token | Should -Not -Exist }
    }

    It 'works on this machine with -UsersFile and no session, and its objects come back here' {
        $user = New-MailUser frank@example.com -Password (Secure 'Frank-Pass-1') -UsersFile $usersA
        $user.ComputerName | Should -Be ([Environment]::MachineName)
        Get-MailUser -UsersFile $usersA | Set-MailUser -QuotaBytes 2GB
        (Get-MailUser frank@example.com -UsersFile $usersA).QuotaBytes | Should -Be 2GB
        Get-MailUser -UsersFile $usersA | Remove-MailUser -Confirm:$false
        Get-Content $usersA -Raw | Should -Not -Match '(?m)frank@'
    }
}

Describe 'Aliases in a Postfix virtual table over SSH' {
    BeforeEach {
        $dir = New-HostFolder
        $virtual = Join-Path $dir 'virtual'
        Set-Content $virtual '# aliases of example.com'
        & postmap "hash:$virtual"
    }
    AfterEach {
        Get-MailHostSession | Remove-MailHostSession
        Remove-Item $dir -Recurse -Force
    }

    It 'adds an alias that postmap -q resolves, lists it with ComputerName and removes it from the pipeline' {
        $s = New-MailHostSession -HostName 127.0.0.2 -Port $second.Port @connect
        $alias = New-MailAlias Sales@Example.com bob@example.com, carol@example.com -Session $s -AliasesFile "hash:$virtual"
        $alias | Should -BeOfType ([MailOps.PowerShell.MailAliasInfo])
        $alias.ComputerName | Should -Be '127.0.0.2'
        $alias.AliasesFile | Should -Be $virtual
        (& postmap -q sales@example.com "hash:$virtual") | Should -Be 'bob@example.com, carol@example.com'
        Get-Content "$virtual.bak" | Should -Be '# aliases of example.com'
        $listed = Get-MailAlias 'sales@*' -Session $s -AliasesFile "hash:$virtual"
        $listed.Destination | Should -Be @('bob@example.com', 'carol@example.com')
        $listed | Remove-MailAlias
        & postmap -q sales@example.com "hash:$virtual"
        $LASTEXITCODE | Should -Be 1
    }

    It 'takes the table type from postconf for a bare path and leaves the table alone with -WhatIf' {
        $s = New-MailHostSession -HostName 127.0.0.1 -Port $first.Port @connect
        $type = (& postconf -h default_database_type).Trim()
        New-MailAlias info@example.com dave@example.com -Session $s -AliasesFile $virtual | Out-Null
        (& postmap -q info@example.com "${type}:$virtual") | Should -Be 'dave@example.com'
        $text = (Get-FileHash $virtual).Hash
        $db = Get-ChildItem "$virtual.*" | Where-Object Name -notin 'virtual.bak', 'virtual.lock' | ForEach-Object { (Get-FileHash $_).Hash }
        New-MailAlias other@example.com dave@example.com -Session $s -AliasesFile $virtual -WhatIf
        Remove-MailAlias info@example.com -Session $s -AliasesFile $virtual -WhatIf
        (Get-FileHash $virtual).Hash | Should -Be $text
        Get-ChildItem "$virtual.*" | Where-Object Name -notin 'virtual.bak', 'virtual.lock' | ForEach-Object { (Get-FileHash $_).Hash } | Should -Be $db
        New-MailAlias info@example.com x@example.com -Session $s -AliasesFile $virtual -ErrorVariable exists -ErrorAction SilentlyContinue
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'MailAliasExists,*'
    }
}
