using System.Management.Automation;
using MailOps.Engine.Auth;

namespace MailOps.PowerShell;

/// <summary>Get-MailAlias: lists the server's aliases, by address or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, "MailAlias")]
[OutputType(typeof(MailAliasInfo))]
public sealed class GetMailAliasCommand : MailAccountCommand
{
    /// <summary>Alias addresses or wildcard patterns ('*', '?'); every alias by default.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = ["*"];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var directory = OpenDirectory();
        if (directory is null) return;
        foreach (var pattern in Address)
        {
            try
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    foreach (var alias in directory.GetAliases(pattern)) WriteObject(ToInfo(alias, directory));
                }
                else if (directory.FindAlias(pattern) is { } alias)
                {
                    WriteObject(ToInfo(alias, directory));
                }
                else
                {
                    WriteError(MailOpsErrors.Record(new MailAliasNotFoundException(pattern), "MailAliasNotFound", ErrorCategory.ObjectNotFound, pattern));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(MailOpsErrors.Record(e, "MailAliasesFileReadFailed", e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError, directory.AliasesFile));
                return;
            }
        }
    }
}
