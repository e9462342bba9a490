using MailOps.Engine.Auth;

namespace MailOps.Engine.Tests.Auth;

public sealed class LocalRecipientDirectoryTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("mailops-recipients-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    LocalRecipientDirectory Directory_(string aliases, params string[] mailboxes)
    {
        var users = PasswdFile.Load(Path.Combine(_directory, "users"));
        foreach (var mailbox in mailboxes)
            users.Add(new MailUser { Address = mailbox, PasswordHash = "{PLAIN}x" });
        return new LocalRecipientDirectory(["example.com", "example.org"], users, VirtualAliasMap.FromText(aliases));
    }

    [Fact]
    public void A_mailbox_resolves_to_itself_and_an_unknown_address_to_nothing()
    {
        var recipients = Directory_("", "alice@example.com");
        Assert.Equal(["alice@example.com"], recipients.Resolve("alice@example.com"));
        Assert.Equal(["Alice+lists@Example.COM"], recipients.Resolve("Alice+lists@Example.COM"));
        Assert.Null(recipients.Resolve("bob@example.com"));
        Assert.Null(recipients.Resolve("alice@example.net"));
        Assert.True(recipients.IsLocalDomain("EXAMPLE.org."));
        Assert.False(recipients.IsLocalDomain("example.net"));
    }

    [Fact]
    public void An_alias_resolves_through_other_aliases_to_mailboxes_and_external_addresses()
    {
        var recipients = Directory_("""
            info@example.com   sales@example.com, partner@example.net
            sales@example.com  alice@example.com, bob@example.org
            """, "alice@example.com", "bob@example.org");
        Assert.Equal(["alice@example.com", "partner@example.net", "bob@example.org"], recipients.Resolve("info@example.com"));
    }

    [Fact]
    public void The_configured_catch_all_mailbox_takes_unknown_local_addresses_only()
    {
        var recipients = new LocalRecipientDirectory(["example.com"], PasswdFile.Load(Path.Combine(_directory, "users")), VirtualAliasMap.FromText("team@example.com alice@example.com"))
        { CatchAll = "postmaster@example.com" };
        Assert.Equal(["postmaster@example.com"], recipients.Resolve("nobody@example.com"));
        Assert.Equal(["alice@example.com"], recipients.Resolve("team@example.com"));
        Assert.Null(recipients.Resolve("nobody@example.net"));
    }

    [Fact]
    public void A_catch_all_takes_unknown_addresses_but_not_mailboxes_or_aliases()
    {
        var recipients = Directory_("""
            @example.com       postmaster@example.com
            info@example.com   alice@example.com
            """, "alice@example.com", "postmaster@example.com");
        Assert.Equal(["postmaster@example.com"], recipients.Resolve("anything@example.com"));
        Assert.Equal(["alice@example.com"], recipients.Resolve("alice@example.com"));
        Assert.Equal(["alice+tag@example.com"], recipients.Resolve("alice+tag@example.com"));
        Assert.Equal(["alice@example.com"], recipients.Resolve("info@example.com"));
        Assert.Null(recipients.Resolve("anything@example.org"));
    }
}
