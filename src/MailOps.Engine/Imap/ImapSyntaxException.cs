namespace MailOps.Engine.Imap;

/// <summary>A command the client sent does not follow RFC 3501's grammar (9); the session answers BAD with this message.</summary>
internal sealed class ImapSyntaxException(string message) : Exception(message);
