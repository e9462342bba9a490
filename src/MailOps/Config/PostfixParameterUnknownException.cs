namespace MailOps.Config;

/// <summary>Postfix has no parameter of that name (<c>postconf -d</c> does not know it).</summary>
public sealed class PostfixParameterUnknownException : Exception
{
    /// <summary>Creates the exception for <paramref name="name"/> on <paramref name="computerName"/>.</summary>
    public PostfixParameterUnknownException(string name, string computerName)
        : base($"{computerName}: Postfix has no parameter '{name}' (postconf -d does not list it).")
    {
        Name = name;
        ComputerName = computerName;
    }

    /// <summary>The unknown name.</summary>
    public string Name { get; }

    /// <summary>The host asked.</summary>
    public string ComputerName { get; }
}
