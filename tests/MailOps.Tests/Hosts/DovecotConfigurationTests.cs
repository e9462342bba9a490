using MailOps.Config;
using MailOps.Hosts;
using MailOps.Tests.TestSupport;

namespace MailOps.Tests.Hosts;

/// <summary>A Dovecot configuration read through Debian's doveconf, over SSH and locally, sections flattened into names.</summary>
public sealed class DovecotConfigurationTests(SshFleet fleet) : IClassFixture<SshFleet>
{
    private string WriteConfig()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("mailops-doveconf-").FullName;
        var path = Path.Combine(dir, "dovecot.conf");
        File.WriteAllText(path, $"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {dir}/run
            mail_location = maildir:~/Maildir
            log_path = {dir}/dovecot.log
            login_greeting = " Mail ready "
            service imap-login {"{"}
              inet_listener imaps {"{"}
                port = 10993
              {"}"}
            {"}"}
            namespace inbox {"{"}
              inbox = yes
              mailbox "Sent Messages" {"{"}
                special_use = \Sent
              {"}"}
            {"}"}
            passdb {"{"}
              driver = passwd-file
              args = {dir}/users
            {"}"}
            userdb {"{"}
              driver = passwd-file
              args = {dir}/users
            {"}"}

            """);
        File.WriteAllText(Path.Combine(dir, "users"), "");
        return path;
    }

    private async Task<HostConnection[]> Hosts() =>
    [
        LocalHostConnection.Instance,
        await fleet.ConnectAsync(fleet.First),
    ];

    [Fact]
    public async Task Changed_settings_come_flattened_with_their_section_path_and_source()
    {
        var path = WriteConfig();
        foreach (var host in await Hosts())
        {
            var settings = await DovecotConfiguration.GetSettingsAsync(host, path, includeDefaults: false);
            string Value(string name) => Assert.Single(settings, s => s.Name == name).Value;
            Assert.Equal("10993", Value("service imap-login/inet_listener imaps/port"));
            Assert.Equal("\\Sent", Value("namespace inbox/mailbox Sent Messages/special_use"));
            Assert.Equal(" Mail ready ", Value("login_greeting"));
            Assert.Equal("imap", Value("protocols"));
            Assert.All(settings, s => Assert.Equal((false, path, host.ComputerName), (s.IsDefault, s.Source, s.ComputerName)));
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task All_settings_mark_the_defaults_and_agree_with_doveconf_h()
    {
        var path = WriteConfig();
        foreach (var host in await Hosts())
        {
            var all = await DovecotConfiguration.GetSettingsAsync(host, path, includeDefaults: true);
            Assert.True(all.Count > 300);
            var port = Assert.Single(all, s => s.Name == "service imap-login/inet_listener imaps/port");
            Assert.False(port.IsDefault);
            var limit = Assert.Single(all, s => s.Name == "mail_max_userip_connections");
            Assert.True(limit.IsDefault);
            Assert.Equal(SshServer.Run("doveconf", "-c", path, "-h", "mail_max_userip_connections").TrimEnd('\n'), limit.Value);
            Assert.Equal("maildir:~/Maildir", Assert.Single(all, s => s.Name == "mail_location").Value);
            await host.DisposeAsync();
        }
    }
}
