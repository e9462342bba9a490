@{
    NestedModules        = @('module/bin/MailOps.PowerShell.Loader.dll', 'module/bin/MailOps.PowerShell.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = '5d8f4a0e-3b7c-4f6e-9a1d-2c4b6e8f0a13'
    Author               = 'MailOps'
    CompanyName          = 'MailOps'
    Copyright            = '(c) MailOps contributors'
    Description          = 'Build, secure, operate and check Linux mail servers from pwsh: DNS checks, DKIM keys, and more.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/MailOps.format.ps1xml')
    CmdletsToExport      = @(
        'Get-MailAlias'
        'Get-MailLog'
        'Get-MailLogSummary'
        'Trace-MailMessage'
        'Get-MailUser'
        'New-DkimKey'
        'New-MailAlias'
        'New-MailServerConfig'
        'Test-MailServerConfig'
        'Start-MailServer'
        'Get-MailServer'
        'Stop-MailServer'
        'New-MailUser'
        'Remove-MailAlias'
        'Remove-MailUser'
        'Set-MailUser'
        'Test-MailDns'
        'New-MailHostSession'
        'Get-MailHostSession'
        'Remove-MailHostSession'
        'Get-PostfixConfig'
        'Set-PostfixConfig'
        'Get-DovecotConfig'
        'Get-MailQueue'
        'Get-MailQueueMessage'
        'Remove-MailQueueMessage'
        'Suspend-MailQueueMessage'
        'Resume-MailQueueMessage'
        'Send-MailQueue'
        'Invoke-SmtpProbe'
        'Invoke-ImapProbe'
        'Invoke-Pop3Probe'
        'Test-MailFlow'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('mail', 'smtp', 'dns', 'dkim', 'spf', 'dmarc', 'postfix', 'dovecot', 'linux')
            ProjectUri = 'https://example.invalid/mailops'
        }
    }
}
