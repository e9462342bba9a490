namespace MailOps.Dns;

/// <summary>One <c>name=value</c> pair of a tag list, as written.</summary>
/// <param name="Name">The tag name, as written (compare it as the record's <see cref="TagListRules"/> say).</param>
/// <param name="Value">The value with surrounding white space removed.</param>
public sealed record TagValue(string Name, string Value)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}={Value}";
}
