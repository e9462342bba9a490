# New-MailServerConfig writes a file the server accepts; Test-MailServerConfig names every mistake.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
}

Describe 'New-MailServerConfig and Test-MailServerConfig' {
    BeforeEach { $dir = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('cfg-' + [guid]::NewGuid().ToString('N'))) }
    AfterEach { Remove-Item $dir -Recurse -Force }

    It 'writes a commented file that checks clean, with the host name and data path given' {
        $file = New-MailServerConfig (Join-Path $dir 'mx.jsonc') -Hostname mx1.example.com -DataPath (Join-Path $dir 'data')
        $file | Should -BeOfType ([IO.FileInfo])
        $text = Get-Content $file -Raw
        $text | Should -Match '"hostname": "mx1\.example\.com"'
        $text | Should -Match '// '
        $text | Should -Match ([regex]::Escape((Join-Path $dir 'data')))
        Test-MailServerConfig $file.FullName | Should -BeNullOrEmpty
        $file | Test-MailServerConfig -Quiet | Should -BeTrue
    }

    It 'refuses to replace a file without -Force and writes nothing with -WhatIf' {
        $path = Join-Path $dir 'mx.jsonc'
        New-MailServerConfig $path -WhatIf
        $path | Should -Not -Exist
        New-MailServerConfig $path | Out-Null
        Set-Content $path '// mine'
        New-MailServerConfig $path -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailServerConfigExists,*'
        Get-Content $path -Raw | Should -Match '^// mine'
        New-MailServerConfig $path -Force | Out-Null
        Get-Content $path -Raw | Should -Not -Match '^// mine'
    }

    It 'lists every mistake with its setting, line and reason' {
        $path = Join-Path $dir 'broken.jsonc'
        Set-Content $path @'
{
  "hostnme": "mx1.example.com",
  "domains": [ "example..com" ],
  "listeners": [ { "kind": "Mta", "address": "127.0.0.1:70000" } ]
}
'@
        $errors = Test-MailServerConfig $path
        $errors.Count | Should -BeGreaterOrEqual 3
        ($errors | Where-Object Setting -eq 'hostnme').Reason | Should -Match "did you mean 'hostname'"
        ($errors | Where-Object Setting -eq 'hostnme').Line | Should -Be 2
        ($errors | Where-Object Setting -eq 'domains[0]').Line | Should -Be 3
        ($errors | Where-Object Setting -like 'listeners`[0`].address').Reason | Should -Match 'port'
        Test-MailServerConfig $path -Quiet | Should -BeFalse
    }

    It 'reports a missing file as an error and goes on with the others' {
        $good = New-MailServerConfig (Join-Path $dir 'good.jsonc')
        $results = Test-MailServerConfig (Join-Path $dir 'missing.jsonc'), $good.FullName -Quiet -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -Be @($true)
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MailServerConfigNotFound,*'
    }
}
