namespace MailOps.Engine.Auth;

/// <summary>One virtual(5) entry: a pattern and the addresses it is replaced by.</summary>
/// <param name="Pattern">user@domain, user, or @domain; stored lower-case, as postmap(1) folds keys.</param>
/// <param name="Result">The result text as postmap -q prints it (continuation lines joined).</param>
public sealed record VirtualAlias(string Pattern, string Result)
{
    /// <summary>The result split into addresses at commas and white space outside double quotes.</summary>
    public IReadOnlyList<string> Addresses => VirtualAliasMap.SplitResult(Result);
}
