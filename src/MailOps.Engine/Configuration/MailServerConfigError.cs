namespace MailOps.Engine.Configuration;

/// <summary>One thing wrong in a configuration file.</summary>
/// <param name="File">The configuration file.</param>
/// <param name="Setting">The setting as a JSON path, e.g. <c>listeners[1].address</c>; empty for the file as a whole.</param>
/// <param name="Line">The 1-based line of the setting, when known.</param>
/// <param name="Reason">Why it is refused, in words an admin can act on.</param>
public sealed record MailServerConfigError(string File, string Setting, int? Line, string Reason)
{
    /// <summary><c>file:line: setting: reason</c>, the way compilers and postconf report problems.</summary>
    public override string ToString() =>
        $"{File}{(Line is { } l ? $":{l}" : "")}: {(Setting.Length > 0 ? Setting + ": " : "")}{Reason}";
}
