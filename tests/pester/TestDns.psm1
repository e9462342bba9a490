# Starts Debian's nsd on 127.0.0.1 and a free port with the fixture zones, for the Pester tests.
Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'TestPorts.psm1') -Global

function Start-TestDns {
    param([string] $ZoneDirectory = (Join-Path $PSScriptRoot '../fixtures/dns'))
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("mailops-pester-nsd-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $dir | Out-Null
    $port = Get-FreePort
    $conf = @"
server:
  ip-address: 127.0.0.1@$port
  port: $port
  database: ""
  username: ""
  chroot: ""
  pidfile: "$dir/nsd.pid"
  zonesdir: "$dir"
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  logfile: "$dir/nsd.log"
  server-count: 1
remote-control:
  control-enable: no

"@
    foreach ($zone in Get-ChildItem $ZoneDirectory -Filter '*.zone') {
        Copy-Item $zone.FullName $dir
        $conf += "zone:`n  name: `"$($zone.BaseName)`"`n  zonefile: `"$dir/$($zone.Name)`"`n"
    }
    Set-Content (Join-Path $dir 'nsd.conf') $conf
    $process = Start-Process nsd -ArgumentList '-d', '-c', (Join-Path $dir 'nsd.conf') -PassThru -RedirectStandardError (Join-Path $dir 'stderr.log')
    # nsd answers once its zones are loaded; wait for any answer on the port.
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    $udp = [Net.Sockets.UdpClient]::new()
    $udp.Client.ReceiveTimeout = 200
    $query = [byte[]](0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7) + [Text.Encoding]::ASCII.GetBytes('example') + [byte[]](3) + [Text.Encoding]::ASCII.GetBytes('com') + [byte[]](0, 0, 6, 0, 1)
    $ready = $false
    while (-not $ready -and [DateTime]::UtcNow -lt $deadline) {
        if ($process.HasExited) { throw "nsd exited: $(Get-Content (Join-Path $dir 'nsd.log') -Raw -ErrorAction SilentlyContinue)" }
        try {
            [void]$udp.Send($query, $query.Length, '127.0.0.1', $port)
            $remote = [Net.IPEndPoint]::new([Net.IPAddress]::Any, 0)
            [void]$udp.Receive([ref]$remote)
            $ready = $true
        }
        catch { Start-Sleep -Milliseconds 100 }
    }
    $udp.Dispose()
    if (-not $ready) { throw 'nsd did not answer within 20 s' }
    [pscustomobject]@{ Endpoint = "127.0.0.1:$port"; Port = $port; Process = $process; Directory = $dir }
}

function Stop-TestDns {
    param($Dns)
    if ($Dns -and -not $Dns.Process.HasExited) { $Dns.Process.Kill($true); $Dns.Process.WaitForExit(5000) | Out-Null }
    if ($Dns) { Remove-Item $Dns.Directory -Recurse -Force -ErrorAction SilentlyContinue }
}

Export-ModuleMember -Function Start-TestDns, Stop-TestDns
