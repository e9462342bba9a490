# Ports for the servers the Pester tests start: below Linux's ephemeral range (32768-60999), where a client connection
# could take a port between the probe and the server's bind, and from one counter per session, so no two servers of one
# run get the same port. The Pester twin of tests/MailOps.Tests/TestSupport/TestPorts.cs.
Set-StrictMode -Version Latest

$script:NextPort = 20000 + (Get-Random -Minimum 0 -Maximum 100) * 100

function Get-FreePort {
    param([string] $Address = '127.0.0.1')
    $ip = [Net.IPAddress]::Parse($Address)
    while ($true) {
        $script:NextPort++
        if ($script:NextPort -gt 32000) { $script:NextPort = 20000 }
        $tcp = [Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
        $udp = [Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        try {
            $tcp.Bind([Net.IPEndPoint]::new($ip, $script:NextPort))
            $udp.Bind([Net.IPEndPoint]::new($ip, $script:NextPort))
            return $script:NextPort
        }
        catch [Net.Sockets.SocketException] { }
        finally { $tcp.Dispose(); $udp.Dispose() }
    }
}

Export-ModuleMember -Function Get-FreePort
