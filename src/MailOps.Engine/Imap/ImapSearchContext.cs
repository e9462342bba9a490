using MailOps.Engine.Store;

namespace MailOps.Engine.Imap;

/// <summary>One message as SEARCH sees it: its numbers and flags at once, its content parsed only when a key needs it.</summary>
internal sealed record ImapSearchContext(uint Sequence, uint Count, StoredMessage Message, uint LargestUid, bool Recent, Func<ImapMessage?> Content);
