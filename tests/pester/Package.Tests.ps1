# build.ps1 Package makes a module folder that a plain Import-Module MailOps finds on $env:PSModulePath.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $version = (Import-PowerShellDataFile (Join-Path $root 'MailOps.psd1')).ModuleVersion
}

Describe 'build.ps1 Package' {
    It 'writes out/MailOps/<version> that imports by name from PSModulePath, with help and formats' {
        Push-Location $root
        try {
            & dotnet pwsh -NoProfile -NonInteractive -File ./build.ps1 Package *> $null
            $LASTEXITCODE | Should -Be 0
            $packaged = Join-Path $root "out/MailOps/$version"
            Join-Path $packaged 'MailOps.psd1' | Should -Exist
            $script = @'
$ErrorActionPreference = 'Stop'
Import-Module MailOps
$m = Get-Module MailOps
'base:' + $m.ModuleBase
'commands:' + ((Get-Command -Module MailOps).Name -join ',')
'synopsis:' + (Get-Help Test-MailDns).Synopsis
'@
            $env:PSModulePath, $saved = (Join-Path $root 'out'), $env:PSModulePath
            try { $output = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String }
            finally { $env:PSModulePath = $saved }
            $output | Should -Match ([regex]::Escape("base:$packaged"))
            $output | Should -Match 'commands:.*Test-MailDns'
            $output | Should -Match 'synopsis:Checks a domain''s mail DNS'
        }
        finally { Pop-Location }
    }
}
