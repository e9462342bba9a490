# New-, Get-, Remove-MailAlias as an administrator meets them, and the table they write read back by Postfix's own rules.
# (Get-MailAlias).Address would not enumerate: an object[] has its own Address(int) method; ForEach-Object Address does.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    function New-TestServer {
        $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('mailalias-' + [guid]::NewGuid().ToString('N')))
        $config = New-MailServerConfig (Join-Path $dir 'mailops.jsonc') -DataPath (Join-Path $dir 'data') -Hostname mx.localhost.localdomain
        [pscustomobject]@{ Directory = $dir.FullName; ConfigPath = $config.FullName; AliasesFile = Join-Path $dir 'data/virtual' }
    }
}

Describe 'New-MailAlias' {
    BeforeEach { $server = New-TestServer }
    AfterEach { Remove-Item $server.Directory -Recurse -Force }

    It 'writes a virtual(5) line in a new 0600 file and returns Address and Destination' {
        $alias = New-MailAlias Postmaster@LocalHost.LocalDomain alice@localhost.localdomain, bob@example.org -ConfigPath $server.ConfigPath
        $alias | Should -BeOfType ([MailOps.PowerShell.MailAliasInfo])
        $alias.Address | Should -Be 'postmaster@localhost.localdomain'
        $alias.Destination | Should -Be @('alice@localhost.localdomain', 'bob@example.org')
        $alias.IsCatchAll | Should -BeFalse
        Get-Content $server.AliasesFile | Should -Be "postmaster@localhost.localdomain`talice@localhost.localdomain, bob@example.org"
        (Get-Item $server.AliasesFile).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
    }

    It 'makes an @domain catch-all that takes mail only for addresses that are neither users nor aliases' {
        New-MailUser alice@localhost.localdomain -Password (ConvertTo-SecureString 'x' -AsPlainText -Force) -ConfigPath $server.ConfigPath | Out-Null
        New-MailAlias sales@localhost.localdomain bob@example.org -ConfigPath $server.ConfigPath | Out-Null
        (New-MailAlias '@localhost.localdomain' admin@localhost.localdomain -ConfigPath $server.ConfigPath).IsCatchAll | Should -BeTrue
        $users = [MailOps.Engine.Auth.PasswdFile]::Load((Join-Path $server.Directory 'data/users.passwd'))
        $map = [MailOps.Engine.Auth.VirtualAliasMap]::Load($server.AliasesFile)
        $recipients = [MailOps.Engine.Auth.LocalRecipientDirectory]::new([string[]]'localhost.localdomain', $users, $map)
        $recipients.Resolve('alice@localhost.localdomain') | Should -Be 'alice@localhost.localdomain'
        $recipients.Resolve('sales@localhost.localdomain') | Should -Be 'bob@example.org'
        $recipients.Resolve('anyone@localhost.localdomain') | Should -Be 'admin@localhost.localdomain'
    }

    It 'refuses an existing alias, another domain, a bad destination and nonsense with their IDs, and goes on with the rest' {
        New-MailAlias abuse@localhost.localdomain alice@localhost.localdomain -ConfigPath $server.ConfigPath | Out-Null
        $items = @(
            @{ Address = 'abuse@localhost.localdomain'; Destination = 'x@example.org' }
            @{ Address = 'info@example.com'; Destination = 'x@example.org' }
            @{ Address = 'info@localhost.localdomain'; Destination = 'not an address' }
            @{ Address = 'no domain'; Destination = 'x@example.org' }
            @{ Address = 'help@localhost.localdomain'; Destination = 'x@example.org' }
        ) | ForEach-Object { [pscustomobject]$_ }
        $made = $items | New-MailAlias -ConfigPath $server.ConfigPath -ErrorVariable errs -ErrorAction SilentlyContinue
        $made | ForEach-Object Address | Should -Be 'help@localhost.localdomain'
        $errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Should -Be @('MailAliasExists', 'MailAliasDomainNotLocal', 'InvalidMailAddress', 'InvalidMailAddress')
        $errs.CategoryInfo.Category | Should -Be @('ResourceExists', 'InvalidArgument', 'InvalidArgument', 'InvalidArgument')
        $errs[0].TargetObject | Should -Be 'abuse@localhost.localdomain'
    }

    It 'writes nothing with -WhatIf' {
        New-MailAlias a@localhost.localdomain b@example.org -ConfigPath $server.ConfigPath -WhatIf | Should -BeNullOrEmpty
        $server.AliasesFile | Should -Not -Exist
    }
}

Describe 'Get- and Remove-MailAlias' {
    BeforeEach {
        $server = New-TestServer
        # A hand-written line with a comment and a continuation line, as an admin may have left in the table.
        New-Item -ItemType Directory (Split-Path $server.AliasesFile) | Out-Null
        Set-Content $server.AliasesFile "# kept by hand`nlist1@localhost.localdomain a@example.org,`n  b@example.org"
        New-MailAlias list2@localhost.localdomain c@example.org -ConfigPath $server.ConfigPath | Out-Null
        New-MailAlias other@localhost.localdomain d@example.org -ConfigPath $server.ConfigPath | Out-Null
    }
    AfterEach { Remove-Item $server.Directory -Recurse -Force }

    It 'gets aliases by exact address, wildcard and all, and reports an unknown exact address with MailAliasNotFound' {
        Get-MailAlias -ConfigPath $server.ConfigPath | ForEach-Object Address | Should -Be @('list1@localhost.localdomain', 'list2@localhost.localdomain', 'other@localhost.localdomain')
        (Get-MailAlias 'LIST1@localhost.localdomain' -ConfigPath $server.ConfigPath).Destination | Should -Be @('a@example.org', 'b@example.org')
        Get-MailAlias 'list*' -ConfigPath $server.ConfigPath | ForEach-Object Address | Should -Be @('list1@localhost.localdomain', 'list2@localhost.localdomain')
        $found = 'none@localhost.localdomain', 'other@localhost.localdomain' | Get-MailAlias -ConfigPath $server.ConfigPath -ErrorVariable errs -ErrorAction SilentlyContinue
        $found | ForEach-Object Address | Should -Be 'other@localhost.localdomain'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailAliasNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'removes aliases piped from Get-MailAlias and keeps comments and other lines' {
        Get-MailAlias 'list*' -ConfigPath $server.ConfigPath | Remove-MailAlias
        Get-MailAlias -ConfigPath $server.ConfigPath | ForEach-Object Address | Should -Be 'other@localhost.localdomain'
        Get-Content $server.AliasesFile | Should -Be @('# kept by hand', "other@localhost.localdomain`td@example.org")
    }

    It 'reports a missing alias in a pipeline with MailAliasNotFound and still removes the others' {
        'list1@localhost.localdomain', 'ghost@localhost.localdomain', 'other@localhost.localdomain' |
            ForEach-Object { [pscustomobject]@{ Address = $_; ConfigPath = $server.ConfigPath } } |
            Remove-MailAlias -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailAliasNotFound,*'
        $errs[0].TargetObject | Should -Be 'ghost@localhost.localdomain'
        Get-MailAlias -ConfigPath $server.ConfigPath | ForEach-Object Address | Should -Be 'list2@localhost.localdomain'
    }

    It 'removes nothing with -WhatIf' {
        $before = Get-Content $server.AliasesFile -Raw
        Get-MailAlias -ConfigPath $server.ConfigPath | Remove-MailAlias -WhatIf
        Get-Content $server.AliasesFile -Raw | Should -Be $before
    }
}
