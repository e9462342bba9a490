namespace MailOps.Dns;

/// <summary>A syntax error in an SPF record: any of them makes the whole record a permerror (RFC 7208 4.6).</summary>
/// <param name="Position">Character offset (0-based) of the bad term in the record text.</param>
/// <param name="Term">The bad term as written.</param>
/// <param name="Message">What is wrong with it.</param>
/// <param name="Reference">The RFC section the term breaks.</param>
public sealed record SpfSyntaxError(int Position, string Term, string Message, string Reference)
{
    /// <inheritdoc />
    public override string ToString() => $"at offset {Position} '{Term}': {Message}";
}
