using MailOps.Engine.Auth;
using MailOps.Engine.Tests.TestSupport;

namespace MailOps.Engine.Tests.Auth;

public sealed class VirtualAliasMapTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("mailops-virtual-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    const string Table = """
        # virtual(5) for example.com
        Info@Example.com      alice@example.com, bob@example.com
        sales@example.com     carol@example.com,
            dave@example.net
          # an indented comment inside an entry
        	, erin@example.org   
        alice@example.com     alice@example.com, archive@example.net
        @example.com          catchall@example.com
        postmaster            root@example.com
        user+literal@example.com  literal@example.net
        @old.example          @example.com
        dup@example.com       first@example.com
        dup@example.com       second@example.com
        novalue@example.com
        tabbed@example.com	"quoted user"@example.com	x@example.com
        """;

    [Fact]
    public async Task Every_single_lookup_answers_what_postmap_q_answers_for_the_same_file()
    {
        var path = Path.Combine(_directory, "virtual");
        await File.WriteAllTextAsync(path, Table);
        var map = VirtualAliasMap.Load(path);
        string[] keys =
        [
            "info@example.com", "INFO@EXAMPLE.COM", "Info@Example.com", "sales@example.com", "alice@example.com",
            "@example.com", "@EXAMPLE.com", "postmaster", "Postmaster", "user+literal@example.com", "user@example.com",
            "@old.example", "dup@example.com", "novalue@example.com", "tabbed@example.com", "unknown@example.com",
            "example.com", "#", "alice", "",
        ];
        var postmap = await ExternalProgram.RunAsync("/usr/sbin/postmap", ["-q", "-", "texthash:" + path], string.Join("\n", keys) + "\n");
        var answers = postmap.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.True(answers.Count >= 10, postmap.Error);
        foreach (var key in keys)
            Assert.True(answers.GetValueOrDefault(key) == map.Lookup(key),
                $"{key}: postmap [{answers.GetValueOrDefault(key)}], ours [{map.Lookup(key)}]");
    }

    [Fact]
    public void The_search_order_is_user_at_domain_then_bare_user_for_local_domains_then_at_domain()
    {
        var map = VirtualAliasMap.FromText(Table).With(myOrigin: "example.com");
        Assert.Equal(["alice@example.com", "bob@example.com"], map.Map("info@example.com"));
        Assert.Equal(["root@example.com"], map.Map("postmaster@example.com")); // bare user: $myorigin
        Assert.Equal(["catchall@example.com"], map.Map("nobody@example.com"));
        // The bare user pattern does not apply to a domain that is not $myorigin/$mydestination.
        Assert.Null(map.Map("postmaster@example.org"));
        Assert.Equal(["root@example.com"],
            map.With(myDestination: new HashSet<string> { "example.org" }).Map("postmaster@example.org"));
        Assert.Null(map.Map("someone@example.net"));
    }

    [Fact]
    public void An_address_extension_is_tried_with_then_without_and_an_unmatched_one_goes_into_the_results()
    {
        var map = VirtualAliasMap.FromText(Table).With(myOrigin: "example.com");
        // virtual(5) ADDRESS EXTENSION: user+foo@domain, user@domain, user+foo, user, @domain.
        Assert.Equal(["literal@example.net"], map.Map("user+literal@example.com"));
        Assert.Equal(["alice+news@example.com", "bob+news@example.com"], map.Map("info+news@example.com"));
        Assert.Equal(["root+x@example.com"], map.Map("postmaster+x@example.com"));
        // A catch-all match did not need the extension removed, so nothing is propagated.
        Assert.Equal(["catchall@example.com"], map.Map("nobody+x@example.com"));
        Assert.Null(map.With(recipientDelimiters: "-").Map("info+news@example.org"));
        Assert.Equal(["alice-news@example.com", "bob-news@example.com"], map.With(recipientDelimiters: "-").Map("info-news@example.com"));
    }

    [Fact]
    public void An_at_otherdomain_result_keeps_the_user_and_bare_results_get_myorigin()
    {
        var map = VirtualAliasMap.FromText("@old.example @example.com\nlocal@example.com bare, other@example.net\n").With(myOrigin: "example.com");
        Assert.Equal(["jo@example.com"], map.Map("jo@old.example"));
        Assert.Equal(["jo+x@example.com"], map.Map("jo+x@old.example"));
        Assert.Equal(["bare@example.com", "other@example.net"], map.Map("local@example.com"));
    }

    [Fact]
    public void Expansion_repeats_lookups_like_cleanup_keeps_self_mappings_and_drops_duplicates()
    {
        var map = VirtualAliasMap.FromText("""
            team@example.com     alice@example.com, bob@example.com, list@example.com
            list@example.com     alice@example.com, carol@example.net
            alice@example.com    alice@example.com, archive@example.net
            bob@example.com      robert@example.com
            """);
        Assert.Equal(["alice@example.com", "robert@example.com", "archive@example.net", "carol@example.net"],
            map.Expand("team@example.com"));
        Assert.Equal(["unknown@example.com"], map.Expand("unknown@example.com"));
    }

    [Fact]
    public void A_loop_between_two_aliases_is_an_alias_expansion_error_not_a_hang()
    {
        var map = VirtualAliasMap.FromText("a@example.com b@example.com\nb@example.com a@example.com\n");
        var error = Assert.Throws<AliasExpansionException>(() => map.Expand("a@example.com"));
        Assert.Equal("4.6.0", error.EnhancedStatusCode);
    }

    [Fact]
    public async Task Changes_keep_comments_and_other_entries_and_postmap_reads_the_result()
    {
        var path = Path.Combine(_directory, "virtual");
        await File.WriteAllTextAsync(path, Table);
        var map = VirtualAliasMap.Load(path);
        map.Set("sales@example.com", ["frank@example.com"]);
        map.Set("new@example.com", ["gina@example.com", "hank@example.net"]);
        Assert.True(map.Remove("dup@example.com"));
        Assert.False(map.Remove("dup@example.com"));
        map.Save();

        var text = await File.ReadAllTextAsync(path);
        Assert.StartsWith("# virtual(5) for example.com\nInfo@Example.com      alice@example.com, bob@example.com\nsales@example.com\tfrank@example.com\n", text);
        Assert.Contains("  # an indented comment inside an entry\n", text);
        Assert.DoesNotContain("dave@example.net", text);
        Assert.DoesNotContain("dup@", text);

        foreach (var (key, expected) in new[] { ("sales@example.com", "frank@example.com"), ("new@example.com", "gina@example.com, hank@example.net"), ("info@example.com", "alice@example.com, bob@example.com") })
        {
            var postmap = await ExternalProgram.RunAsync("/usr/sbin/postmap", ["-q", key, "texthash:" + path]);
            Assert.Equal(expected, postmap.Output.Trim());
        }
        var gone = await ExternalProgram.RunAsync("/usr/sbin/postmap", ["-q", "dup@example.com", "texthash:" + path]);
        Assert.Equal(1, gone.ExitCode);
    }
}
