using System.Management.Automation;
using MailOps.Engine;

namespace MailOps.PowerShell;

/// <summary>Lets a -Server parameter take a MailServer object (Get-MailServer, Start-MailServer output) as well as its name.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MailServerNameTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject wrapped ? wrapped.BaseObject : inputData) is MailServer server ? server.Name : inputData;
}
