# The module keeps its dependencies in its own AssemblyLoadContext: another DnsClient in the session breaks neither.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $PSScriptRoot 'TestDns.psm1') -Force
    $otherDnsClient = Join-Path $env:MAILOPS_NUGET_PACKAGES 'dnsclient/1.6.1/lib/netstandard2.1/DnsClient.dll'
    $dns = Start-TestDns
    function Invoke-FreshPwsh([string] $Script) {
        # A fresh pwsh, so that assembly loading starts from nothing.
        Push-Location $root
        try { $output = & dotnet pwsh -NoProfile -NonInteractive -Command $Script 2>&1 }
        finally { Pop-Location }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
    }
}
AfterAll { Stop-TestDns $dns }

Describe 'Dependency isolation' {
    It 'works when another module loaded DnsClient 1.6.1 first, and that module keeps working' {
        $otherDnsClient | Should -Exist
        $r = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
`$other = [Reflection.Assembly]::LoadFrom('$otherDnsClient')
Import-Module ./MailOps.psd1
`$result = Test-MailDns example.com -Check Mx -NameServer $($dns.Endpoint)
'mailops:' + `$result.Status + ':' + `$result.NameServer
`$client = [DnsClient.LookupClient]::new([Net.IPAddress]::Loopback, $($dns.Port))
'other:' + `$client.GetType().Assembly.GetName().Version + ':' + `$client.Query('mail.example.com', 'A').Answers[0].Address
`$mine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'DnsClient' } | ForEach-Object { `$_.GetName().Version.ToString() + '@' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
'loaded:' + ((`$mine | Sort-Object) -join ',')
"@
        $r.Output | Should -Match "mailops:Pass:$([regex]::Escape($dns.Endpoint))"
        $r.Output | Should -Match 'other:1\.6\.1\.0:198\.51\.99\.25'
        $r.Output | Should -Match 'loaded:1\.6\.1\.0@Default,1\.8\.0\.0@MailOps'
        $r.ExitCode | Should -Be 0
    }

    It 'works when the module loaded first and DnsClient 1.6.1 comes after' {
        $r = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module ./MailOps.psd1
`$first = Test-MailDns example.com -Check Mx -NameServer $($dns.Endpoint)
`$null = [Reflection.Assembly]::LoadFrom('$otherDnsClient')
`$client = [DnsClient.LookupClient]::new([Net.IPAddress]::Loopback, $($dns.Port))
'other:' + `$client.GetType().Assembly.GetName().Version + ':' + `$client.Query('mail2.example.com', 'A').Answers[0].Address
`$second = Test-MailDns example.com -Check Mx -NameServer $($dns.Endpoint)
'mailops:' + `$first.Status + ':' + `$second.Status
"@
        $r.Output | Should -Match 'other:1\.6\.1\.0:198\.51\.99\.26'
        $r.Output | Should -Match 'mailops:Pass:Pass'
        $r.ExitCode | Should -Be 0
    }
}
