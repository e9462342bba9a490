# Test-MailDns as a user meets it in pwsh: pipeline binding, errors, verbose, formatting, against a real nsd.
BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestDns.psm1') -Force
    $dns = Start-TestDns
    $ns = $dns.Endpoint
}
AfterAll { Stop-TestDns $dns }

Describe 'Test-MailDns' {
    It 'takes domains from the pipeline by value and writes one typed result per check and domain' {
        $results = 'example.com', 'example.org' | Test-MailDns -Check Mx, Spf -NameServer $ns
        $results.Count | Should -Be 4
        $results | ForEach-Object { $_ | Should -BeOfType ([MailOps.Dns.MailDnsCheckResult]) }
        ($results.Domain | Sort-Object -Unique) -join ',' | Should -Be 'example.com,example.org'
    }

    It 'takes the domain from the pipeline by property name' {
        $result = [pscustomobject]@{ Domain = 'example.org' } | Test-MailDns -Check Mx -NameServer $ns
        $result.Domain | Should -Be 'example.org'
        $result.Check | Should -Be 'Mx'
    }

    It 'says which name server answered' {
        $result = Test-MailDns example.com -Check Mx -NameServer $ns
        $result.NameServer | Should -Be $ns
        $result.Status | Should -Be 'Pass'
        $result.Detail.Hosts.Host | Should -Be @('mail.example.com', 'mail2.example.com')
    }

    It 'writes an error record for a malformed domain and goes on with the others' {
        $results = 'bad domain', 'example.com', '192.0.2.1', 'a..b' | Test-MailDns -Check Mx -NameServer $ns -ErrorVariable errs -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 1
        $results.Domain | Should -Be 'example.com'
        $errs.Count | Should -Be 3
        $errs | ForEach-Object {
            $_.FullyQualifiedErrorId | Should -BeLike 'InvalidDomainName,*'
            $_.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        $errs.TargetObject | Should -Be @('bad domain', '192.0.2.1', 'a..b')
    }

    It 'refuses a name server it cannot parse with a terminating error' {
        { Test-MailDns example.com -NameServer '127.0.0.1:notaport' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidNameServer,MailOps.PowerShell.TestMailDnsCommand'
    }

    It 'reports SERVFAIL as a temporary error, not as a missing record' {
        $result = Test-MailDns any.servfail.test -Check Mx -NameServer $ns
        $result.Status | Should -Be 'TempError'
    }

    It 'explains what it queried on the verbose stream, never on the output stream' {
        $all = Test-MailDns example.com -Check Mx -NameServer $ns -Verbose 4>&1
        $verbose = @($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
        $output = @($all | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] })
        $output.Count | Should -Be 1
        $output[0] | Should -BeOfType ([MailOps.Dns.MailDnsCheckResult])
        ($verbose.Message -join "`n") | Should -Match "MX example\.com -> $([regex]::Escape($ns)): Found"
    }

    It 'shows a table of check, status, summary and reference by default' {
        $text = Test-MailDns example.com -Check Mx -NameServer $ns | Out-String -Width 200
        $text | Should -Match 'Domain: example\.com'
        $text | Should -Match 'Check\s+Status\s+Summary\s+Reference'
        $text | Should -Match 'Mx\s+Pass\s+'
        $text | Should -Not -Match 'Findings'
    }

    It 'checks many domains in parallel and returns every result' {
        $domains = 1..30 | ForEach-Object { if ($_ % 2) { 'example.com' } else { 'example.org' } }
        $results = $domains | Test-MailDns -Check Mx -NameServer $ns -ThrottleLimit 8
        $results.Count | Should -Be 30
        @($results | Where-Object Status -eq 'TempError').Count | Should -Be 0
    }
}
