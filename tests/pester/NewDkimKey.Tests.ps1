# New-DkimKey as a user meets it: key files, refusals, pipeline, and the record it prints, served by a real nsd.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestDns.psm1') -Force
    function New-TestDirectory { New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('dkim-' + [guid]::NewGuid().ToString('N'))) }
    function Publish-Zone([string] $Directory, [string] $Domain, [string[]] $Records) {
        # A zone file for $Domain holding the given records in zone-file syntax, as an admin would paste them.
        $zone = @"
`$ORIGIN $Domain.
`$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
$($Records -join "`n")
"@
        Set-Content (Join-Path $Directory "$Domain.zone") $zone
    }
}

Describe 'New-DkimKey' {
    BeforeEach { $dir = New-TestDirectory }
    AfterEach { Remove-Item $dir -Recurse -Force }

    It 'writes an RSA 2048 key readable only by its owner and returns the records to publish' {
        $key = New-DkimKey -Domain Example.COM -Selector mail -Path $dir
        $key | Should -BeOfType ([MailOps.Dkim.DkimKey])
        $key.Algorithm | Should -Be 'Rsa2048'
        $key.KeySize | Should -Be 2048
        $key.DnsName | Should -Be 'mail._domainkey.example.com'
        $key.DnsValue | Should -Match '^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$'
        $key.PrivateKeyPath | Should -Be (Join-Path $dir 'example.com.mail.key')
        (Get-Item $key.PrivateKeyPath).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        Get-Content $key.PrivateKeyPath -First 1 | Should -Be '-----BEGIN PRIVATE KEY-----'
        $key.KeyTable | Should -Be "mail._domainkey.example.com example.com:mail:$($key.PrivateKeyPath)"
        $key.SigningTable | Should -Be '*@example.com mail._domainkey.example.com'
        foreach ($quoted in [regex]::Matches($key.ZoneFileRecord, '"((?:[^"\\]|\\.)*)"')) { $quoted.Groups[1].Value.Length | Should -BeLessOrEqual 255 }
    }

    It 'refuses to overwrite a key without -Force, with error DkimKeyExists, and overwrites with it' {
        $first = New-DkimKey -Domain example.com -Selector mail -Path $dir
        $before = Get-Content $first.PrivateKeyPath -Raw
        $again = New-DkimKey -Domain example.com -Selector mail -Path $dir -ErrorVariable errs -ErrorAction SilentlyContinue
        $again | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DkimKeyExists,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $errs[0].TargetObject | Should -Be $first.PrivateKeyPath
        Get-Content $first.PrivateKeyPath -Raw | Should -Be $before
        $forced = New-DkimKey -Domain example.com -Selector mail -Path $dir -Force
        Get-Content $forced.PrivateKeyPath -Raw | Should -Not -Be $before
    }

    It 'writes nothing with -WhatIf' {
        New-DkimKey -Domain example.com -Selector mail -Path $dir -WhatIf | Should -BeNullOrEmpty
        Get-ChildItem $dir | Should -BeNullOrEmpty
    }

    It 'makes a key per piped domain and reports a bad one without stopping the rest' {
        $keys = 'one.example', 'not a domain', 'two.example' | New-DkimKey -Selector s1 -Algorithm Ed25519 -Path $dir -ErrorVariable errs -ErrorAction SilentlyContinue
        $keys.Domain | Should -Be @('one.example', 'two.example')
        $keys | ForEach-Object { $_.KeySize | Should -Be 256; $_.DnsValue | Should -Match '^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$' }
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDomainName,*'
    }

    It 'warns that a 1024-bit key is weak' {
        $key = New-DkimKey -Domain example.com -Selector weak -Algorithm Rsa1024 -Path $dir -WarningVariable warnings -WarningAction SilentlyContinue
        $key.KeySize | Should -Be 1024
        ($warnings -join ' ') | Should -Match '1024'
    }

    It 'piped into Test-MailDns, passes when DNS publishes its record and fails when DNS publishes another key' {
        $zones = New-TestDirectory
        try {
            $published = New-DkimKey -Domain dkimpub.test -Selector rsa -Path $dir
            $ed = New-DkimKey -Domain dkimpub.test -Selector ed -Algorithm Ed25519 -Path $dir
            $other = New-DkimKey -Domain dkimpub.test -Selector other -Path $dir
            # Publish the right records for 'rsa' and 'ed', but the 'rsa' key's record under 'other'.
            $wrong = $published.ZoneFileRecord -replace '^rsa\._domainkey', 'other._domainkey'
            Publish-Zone $zones 'dkimpub.test' @($published.ZoneFileRecord, $ed.ZoneFileRecord, $wrong)
            $dns = Start-TestDns -ZoneDirectory $zones
            try {
                $good = $published, $ed | Test-MailDns -Check Dkim -NameServer $dns.Endpoint
                $good.Status | Should -Be @('Pass', 'Pass')
                $bad = $other | Test-MailDns -Check Dkim -NameServer $dns.Endpoint
                $bad.Status | Should -Be 'Fail'
                $bad.Summary | Should -Match 'does not match'
            }
            finally { Stop-TestDns $dns }
        }
        finally { Remove-Item $zones -Recurse -Force }
    }
}
