using System.Management.Automation;
using MailOps.Dkim;
using MailOps.Dns;

namespace MailOps.PowerShell;

/// <summary>New-DkimKey: creates a DKIM key pair, writes the private key (mode 0600) and returns the DNS record and OpenDKIM lines to publish.</summary>
[Cmdlet(VerbsCommon.New, "DkimKey", SupportsShouldProcess = true)]
[OutputType(typeof(DkimKey))]
public sealed class NewDkimKeyCommand : PSCmdlet
{
    /// <summary>The signing domains; one key each.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public string[] Domain { get; set; } = [];

    /// <summary>The selector; <c>s</c> and the current year and month (e.g. s202611) by default.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Selector { get; set; }

    /// <summary>The key algorithm; Rsa2048 by default.</summary>
    [Parameter]
    public DkimKeyAlgorithm Algorithm { get; set; } = DkimKeyGenerator.DefaultAlgorithm;

    /// <summary>The directory of the key files (created when missing); the current directory by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Publish the key in testing mode (t=y).</summary>
    [Parameter]
    public SwitchParameter Testing { get; set; }

    /// <summary>Replace an existing key file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var directory = Path is null ? SessionState.Path.CurrentFileSystemLocation.ProviderPath : GetUnresolvedProviderPathFromPSPath(Path);
        var given = Selector ?? DkimKeyGenerator.DefaultSelector(DateTimeOffset.UtcNow);
        if (!DkimKeyGenerator.TryNormalizeSelector(given, out var selector, out var selectorError))
        {
            WriteError(MailOpsErrors.InvalidArgument(selectorError, "InvalidSelector", given));
            return;
        }
        foreach (var name in Domain)
        {
            if (!MailDomainName.TryNormalize(name, out var domain, out var error))
            {
                WriteError(MailOpsErrors.InvalidArgument(error, "InvalidDomainName", name));
                continue;
            }
            var keyPath = DkimKeyGenerator.KeyFilePath(directory, domain, selector);
            var exists = File.Exists(keyPath);
            if (exists && !Force)
            {
                WriteError(MailOpsErrors.Record(new DkimKeyExistsException(keyPath), "DkimKeyExists", ErrorCategory.ResourceExists, keyPath));
                continue;
            }
            if (!ShouldProcess(keyPath, $"{(exists ? "Replace" : "Create")} {Algorithm} DKIM key for {domain} (selector {selector})")) continue;
            try
            {
                WriteObject(DkimKeyGenerator.Create(domain, selector, Algorithm, directory, Testing, Force));
                if (Algorithm == DkimKeyAlgorithm.Rsa1024)
                    WriteWarning($"{domain}: a 1024-bit RSA key is weaker than RFC 8301 3.2 recommends; use Rsa2048 or larger.");
            }
            catch (DkimKeyExistsException e)
            {
                WriteError(MailOpsErrors.Record(e, "DkimKeyExists", ErrorCategory.ResourceExists, keyPath));
            }
            catch (UnauthorizedAccessException e)
            {
                WriteError(MailOpsErrors.Record(e, "DkimKeyWriteFailed", ErrorCategory.PermissionDenied, keyPath));
            }
            catch (IOException e)
            {
                WriteError(MailOpsErrors.Record(e, "DkimKeyWriteFailed", ErrorCategory.WriteError, keyPath));
            }
        }
    }
}
