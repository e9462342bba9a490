using MailOps.Config;
using MailOps.Engine.Tests.TestSupport;
using MailOps.Hosts;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Hosts;

/// <summary>A private Debian Postfix's configuration read and changed through postconf, over SSH and locally.</summary>
public sealed class PostfixConfigurationTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private async Task<HostConnection[]> Hosts() =>
    [
        LocalHostConnection.Instance,
        await fleet.ConnectAsync(fleet.Second),
    ];

    private static string Postconf(string conf, params string[] arguments) => SshServer.Run("postconf", ["-c", conf, .. arguments]);

    [Fact]
    public async Task Non_default_parameters_are_main_cf_with_its_path_and_the_values_postconf_h_prints()
    {
        using var postfix = PostfixInstance.Start("config.test", "config.test", "alice");
        var conf = Path.Combine(postfix.Directory, "conf");
        foreach (var host in await Hosts())
        {
            var parameters = await PostfixConfiguration.GetParametersAsync(host, conf, includeDefaults: false);
            Assert.Equal(Postconf(conf, "-n").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, parameters.Count);
            var hostname = Assert.Single(parameters, p => p.Name == "myhostname");
            Assert.Equal(("config.test", false, conf + "/main.cf", host.ComputerName), (hostname.Value, hostname.IsDefault, hostname.Source, hostname.ComputerName));
            var empty = Assert.Single(parameters, p => p.Name == "mydestination");
            Assert.Equal("", empty.Value);
            foreach (var p in parameters) Assert.Equal(Postconf(conf, "-h", p.Name).TrimEnd('\n'), p.Value);
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task All_parameters_say_which_are_defaults_with_the_default_value_postconf_d_prints()
    {
        using var postfix = PostfixInstance.Start("config.test", "config.test", "alice");
        var conf = Path.Combine(postfix.Directory, "conf");
        foreach (var host in await Hosts())
        {
            var all = await PostfixConfiguration.GetParametersAsync(host, conf, includeDefaults: true);
            Assert.True(all.Count > 500);
            var set = all.Single(p => p.Name == "virtual_mailbox_domains");
            Assert.Equal((false, "config.test", conf + "/main.cf"), (set.IsDefault, set.Value, set.Source));
            Assert.Equal(Postconf(conf, "-d", "-h", "virtual_mailbox_domains").TrimEnd('\n'), set.DefaultValue);
            var left = all.Single(p => p.Name == "smtpd_helo_required");
            Assert.Equal((true, "no", null, "no"), (left.IsDefault, left.Value, left.Source, left.DefaultValue));
            Assert.Equal(all.Count(p => !p.IsDefault), Postconf(conf, "-n").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Master_cf_services_come_back_as_columns_with_the_smtpd_on_the_instance_port()
    {
        using var postfix = PostfixInstance.Start("config.test", "config.test", "alice");
        var conf = Path.Combine(postfix.Directory, "conf");
        foreach (var host in await Hosts())
        {
            var services = await PostfixConfiguration.GetServicesAsync(host, conf);
            var smtpd = Assert.Single(services, s => s.Service == $"127.0.0.1:{postfix.Port}");
            Assert.Equal(("inet", "n", "-", "n", "-", "-", "smtpd"), (smtpd.Type, smtpd.Private, smtpd.Unprivileged, smtpd.Chroot, smtpd.Wakeup, smtpd.MaxProcesses, smtpd.Command));
            var pickup = Assert.Single(services, s => s.Service == "pickup");
            Assert.Equal(("60", "1"), (pickup.Wakeup, pickup.MaxProcesses));
            Assert.Contains(services, s => s.Command.StartsWith("smtp -o syslog_name=postfix/", StringComparison.Ordinal));
            Assert.Equal(conf + "/master.cf", smtpd.Source);
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Setting_a_parameter_over_ssh_changes_main_cf_and_the_running_postfix_reloads_it()
    {
        using var postfix = PostfixInstance.Start("config.test", "config.test", "alice");
        var conf = Path.Combine(postfix.Directory, "conf");
        var hosts = await Hosts();
        await hosts[0].DisposeAsync();
        await using var ssh = hosts[1];
        var changed = await PostfixConfiguration.SetParameterAsync(ssh, conf, "smtpd_banner", "$myhostname ESMTP changed-by-test", reload: true);
        Assert.Equal(("$myhostname ESMTP changed-by-test", false), (changed.Value, changed.IsDefault));
        Assert.Equal("$myhostname ESMTP changed-by-test\n", Postconf(conf, "-h", "smtpd_banner"));
        Assert.Contains("smtpd_banner = $myhostname ESMTP changed-by-test", File.ReadAllText(Path.Combine(conf, "main.cf")));
        postfix.WaitForLog("reload -- version");
        // The reloaded smtpd greets with the new banner.
        using var client = new System.Net.Sockets.TcpClient("127.0.0.1", postfix.Port);
        using var reader = new StreamReader(client.GetStream());
        Assert.Equal("220 config.test ESMTP changed-by-test", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task Unknown_names_and_values_that_span_lines_are_refused_and_main_cf_is_untouched()
    {
        using var postfix = PostfixInstance.Start("config.test", "config.test", "alice");
        var conf = Path.Combine(postfix.Directory, "conf");
        var before = File.ReadAllBytes(Path.Combine(conf, "main.cf"));
        foreach (var host in await Hosts())
        {
            var unknown = await Assert.ThrowsAsync<PostfixParameterUnknownException>(() => PostfixConfiguration.SetParameterAsync(host, conf, "no_such_parameter", "x", reload: false));
            Assert.Equal("PostfixParameterUnknown", MailHostFailure.ErrorId(unknown));
            await Assert.ThrowsAsync<ArgumentException>(() => PostfixConfiguration.SetParameterAsync(host, conf, "smtpd_banner", "a\nmail_owner = root", reload: false));
            await Assert.ThrowsAsync<ArgumentException>(() => PostfixConfiguration.SetParameterAsync(host, conf, "-e myhostname", "x", reload: false));
            await host.DisposeAsync();
        }
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(conf, "main.cf")));
    }
}
