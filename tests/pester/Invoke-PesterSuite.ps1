# Runs the Pester tests of the built module in this fresh pwsh and writes a summary for build.ps1.
$ErrorActionPreference = 'Stop'
$packages = $env:MAILOPS_NUGET_PACKAGES
$pester = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
Import-Module $pester -RequiredVersion 5.7.1
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Filter.ExcludeTag = @('Soak', 'Benchmark')
$result = Invoke-Pester -Configuration $config
[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content (Join-Path $env:MAILOPS_TEST_RESULTS 'pester.json')
if ($result.Result -ne 'Passed') { exit 1 }
