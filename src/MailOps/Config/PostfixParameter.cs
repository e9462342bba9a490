namespace MailOps.Config;

/// <summary>One Postfix main.cf parameter as postconf reports it on one host.</summary>
public sealed class PostfixParameter
{
    /// <summary>The parameter name, e.g. <c>myhostname</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The value as written (postconf does not expand <c>$name</c> references unless asked).</summary>
    public required string Value { get; init; }

    /// <summary>Whether main.cf leaves the parameter at Postfix's built-in default (it is not in <c>postconf -n</c>).</summary>
    public bool IsDefault { get; init; }

    /// <summary>Postfix's built-in default (<c>postconf -d</c>), when it was read (-All).</summary>
    public string? DefaultValue { get; init; }

    /// <summary>The main.cf the value came from; null for a built-in default.</summary>
    public string? Source { get; init; }

    /// <summary>The Postfix configuration directory (what <c>postconf -c</c> takes).</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>The host the parameter was read on.</summary>
    public required string ComputerName { get; init; }
}
