namespace MailOps.Probes;

/// <summary>Who sent a transcript line.</summary>
public enum ProbeDirection
{
    /// <summary>The probe sent it to the server.</summary>
    Sent,
    /// <summary>The server sent it to the probe.</summary>
    Received,
}
