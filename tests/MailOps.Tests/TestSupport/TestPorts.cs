using System.Net;
using System.Net.Sockets;

namespace MailOps.Tests.TestSupport;

/// <summary>
/// Ports for the servers tests start. A port the kernel hands out for port 0 comes from the ephemeral range, where any
/// client connection of a test running at the same time may take it before the server binds it ("Address already in
/// use"). These come from below that range (Linux's 32768-60999) and from one counter per test process, so neither a
/// client socket nor another fixture of the same run gets the same one.
/// </summary>
public static class TestPorts
{
    private const int First = 20000;
    private const int Last = 32000;
    // Where the counter starts differs between runs, so a port left in TIME_WAIT by the last run is rarely met again.
    private static int _next = First + Random.Shared.Next(0, 100) * 100;

    /// <summary>A port on <paramref name="address"/> that is free now for TCP and UDP and that no other caller in this process gets.</summary>
    public static int Next(string address = "127.0.0.1")
    {
        var ip = IPAddress.Parse(address);
        for (var attempt = 0; attempt < Last - First; attempt++)
        {
            int port = Interlocked.Increment(ref _next);
            if (port > Last)
            {
                Interlocked.CompareExchange(ref _next, First, port);
                continue;
            }

            if (IsFree(ip, port)) return port;
        }
        throw new InvalidOperationException($"No free port between {First} and {Last} on {address}.");
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(address, port));
            using var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
