namespace MailOps.Logs;

/// <summary>What one mail log line reports, in the words of the program that wrote it.</summary>
public enum MailLogEventKind
{
    /// <summary>A line no other kind describes (start-up notes, statistics, a daemon's own chatter).</summary>
    Other,
    /// <summary>smtpd: <c>connect from name[addr]</c>.</summary>
    Connect,
    /// <summary>smtpd: <c>disconnect from name[addr] ... commands=N</c>.</summary>
    Disconnect,
    /// <summary>smtpd: <c>lost connection</c>, <c>timeout</c> or <c>too many errors after CMD from name[addr]</c>.</summary>
    LostConnection,
    /// <summary>smtpd: <c>QUEUEID: client=name[addr]</c>, a message received (pflogsumm's "received").</summary>
    Client,
    /// <summary>pickup: <c>QUEUEID: uid=N from=&lt;s&gt;</c>, a message submitted locally with sendmail.</summary>
    Pickup,
    /// <summary>cleanup: <c>QUEUEID: message-id=&lt;id&gt;</c>.</summary>
    MessageId,
    /// <summary>qmgr: <c>QUEUEID: from=&lt;s&gt;, size=N, nrcpt=N (queue active)</c>.</summary>
    Queued,
    /// <summary>qmgr: <c>QUEUEID: from=&lt;s&gt;, status=expired, returned to sender</c>.</summary>
    Expired,
    /// <summary>A delivery agent's result for one recipient: <c>QUEUEID: to=&lt;r&gt;, relay=..., status=...</c>.</summary>
    Delivery,
    /// <summary>qmgr: <c>QUEUEID: removed</c>.</summary>
    Removed,
    /// <summary>bounce: <c>QUEUEID: sender non-delivery notification: NEWQUEUEID</c>.</summary>
    Notification,
    /// <summary>smtpd or cleanup: <c>reject:</c>, <c>reject_warning:</c>, <c>hold:</c>, <c>discard:</c>, <c>milter-reject:</c>.</summary>
    Reject,
    /// <summary><c>warning:</c>, <c>error:</c>, <c>fatal:</c> or <c>panic:</c> from any program.</summary>
    Problem,
    /// <summary>Dovecot: <c>imap-login: Login: user=&lt;u&gt;, method=..., rip=..., lip=...</c>.</summary>
    Login,
    /// <summary>Dovecot: a login attempt that ended without a session (<c>imap-login: Disconnected: ... (auth failed ...)</c>).</summary>
    LoginFailed,
    /// <summary>Dovecot: <c>imap(user)&lt;pid&gt;&lt;session&gt;: Disconnected: Logged out ...</c>.</summary>
    Logout,
    /// <summary>Dovecot LDA or LMTP: <c>lmtp(user)...: msgid=&lt;id&gt;: saved mail to INBOX</c>.</summary>
    Saved,
}
