# Every exported cmdlet has complete help, its docs page agrees with its code, and its examples run.
BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    $commands = @(Get-Command -Module MailOps -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $root 'MailOps.psd1') -Force
    Import-Module (Join-Path $root 'src/MailOps.PowerShell/Help/HelpMarkdown.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestDns.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestSsh.psm1') -Force
    # -WhatIf and -Confirm are documented like any parameter (as PlatyPS does); the other common ones are not.
    $common = [Management.Automation.PSCmdlet]::CommonParameters
    function Get-TypeName([type] $Type) {
        # The short name the docs use: String[], SwitchParameter, MailDnsCheck[].
        $Type.Name
    }
}

Describe 'Help of <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help $Name -Full
        $page = Get-HelpMarkdown (Join-Path $root "docs/$Name.md")
        $command = Get-Command $Name
        $codeParameters = @($command.Parameters.Values | Where-Object Name -notin $common)
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
    }

    It 'has a description' {
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and an explanation' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        foreach ($p in $codeParameters) {
            $entry = $help.Parameters.Parameter | Where-Object Name -eq $p.Name
            $entry | Should -Not -BeNullOrEmpty -Because "-$($p.Name) must appear in the help"
            ($entry.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a description"
        }
    }

    It 'documents exactly the parameters the code has' {
        ($page.Parameters.Name | Sort-Object) -join ',' | Should -Be (($codeParameters.Name | Sort-Object) -join ',')
    }

    It 'documents each parameter with the type, mandatory flag and pipeline input of the code' {
        foreach ($p in $codeParameters) {
            $doc = $page.Parameters | Where-Object Name -eq $p.Name
            $attributes = @($p.Attributes | Where-Object { $_ -is [Management.Automation.ParameterAttribute] })
            $doc.Type | Should -Be (Get-TypeName $p.ParameterType) -Because "-$($p.Name) type"
            $doc.Required | Should -Be ([bool]($attributes | Where-Object Mandatory)) -Because "-$($p.Name) mandatory"
            $doc.ByValue | Should -Be ([bool]($attributes | Where-Object ValueFromPipeline)) -Because "-$($p.Name) pipeline by value"
            $doc.ByPropertyName | Should -Be ([bool]($attributes | Where-Object ValueFromPipelineByPropertyName)) -Because "-$($p.Name) pipeline by property name"
        }
    }

    It 'has examples that run without error against the fixture DNS and sshd' {
        $dns = Start-TestDns
        # Examples that open host sessions reach a real sshd on 127.0.0.1; its port, client key and known_hosts are
        # the defaults of New-MailHostSession here, as the fixture nsd is Test-MailDns's name server.
        $ssh = if ($page.Examples.Code -match 'MailHostSession') { Start-TestSsh }
        $work = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))
        try {
            foreach ($example in $page.Examples) {
                $PSDefaultParameterValues['Test-MailDns:NameServer'] = $dns.Endpoint
                if ($ssh) {
                    $PSDefaultParameterValues['New-MailHostSession:Port'] = $ssh.Port
                    $PSDefaultParameterValues['New-MailHostSession:KeyFilePath'] = $ssh.ClientKey
                    $PSDefaultParameterValues['New-MailHostSession:KnownHostsPath'] = $ssh.KnownHosts
                }
                Push-Location $work
                try {
                    $output = & ([scriptblock]::Create($example.Code)) 2>&1
                    $errors = @($output | Where-Object { $_ -is [Management.Automation.ErrorRecord] })
                    $errors | Should -BeNullOrEmpty -Because "'$($example.Title)' must run cleanly: $errors"
                    @($output).Count | Should -BeGreaterThan 0 -Because "'$($example.Title)' shows something"
                }
                finally {
                    Pop-Location
                    foreach ($key in @($PSDefaultParameterValues.Keys)) { if ($key -like '*:*') { $PSDefaultParameterValues.Remove($key) } }
                    Get-MailHostSession | Remove-MailHostSession
                }
            }
        }
        finally { Stop-TestDns $dns; Stop-TestSsh $ssh; Remove-Item $work -Recurse -Force }
    }
}

Describe 'The module manifest' {
    It 'exports exactly the cmdlets it lists, each with a docs page' {
        $manifest = Import-PowerShellDataFile (Join-Path $root 'MailOps.psd1')
        (Get-Command -Module MailOps).Name | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        foreach ($name in $manifest.CmdletsToExport) { Join-Path $root "docs/$name.md" | Should -Exist }
    }

    It 'is for PowerShell Core with formats' {
        $manifest = Import-PowerShellDataFile (Join-Path $root 'MailOps.psd1')
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.FormatsToProcess | ForEach-Object { Join-Path $root $_ | Should -Exist }
    }

    It 'declares the output type of every cmdlet' {
        foreach ($c in Get-Command -Module MailOps) { $c.OutputType | Should -Not -BeNullOrEmpty -Because "$($c.Name) needs [OutputType]" }
    }
}
