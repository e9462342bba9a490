using System.Management.Automation;

namespace MailOps.PowerShell;

/// <summary>
/// The cmdlets that change a queue (Remove-, Suspend-, Resume-MailQueueMessage, Send-MailQueue): the queue identity
/// they take from Get-MailQueue output by property name.
/// </summary>
public abstract class MailQueueChangeCommand : MailQueueCommand
{
    /// <summary>The server of this session whose queue it is (name or MailServer object).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [MailServerNameTransformation]
    public string? Server { get; set; }

    /// <summary>The server configuration file naming the queue; the embedded default when neither it nor -Server is given.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ConfigPath { get; set; }

    /// <summary>The machine whose queue it is; only this machine's queue can be changed.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ComputerName { get; set; }
}
