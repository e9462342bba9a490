using System.Diagnostics;

namespace MailOps.Tests.TestSupport;

/// <summary>The independent DKIM verifier: Debian's python3-dkim, asking a test nsd for the keys.</summary>
public static class PythonDkim
{
    private const string Script = """
        import sys, dkim, dns.resolver
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ['127.0.0.1']
        resolver.port = int(sys.argv[2])
        def dnsfunc(name, timeout=5):
            if isinstance(name, bytes): name = name.decode()
            try: answer = resolver.resolve(name, 'TXT', lifetime=timeout)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer): return None
            return b''.join(answer[0].strings)
        message = open(sys.argv[1], 'rb').read()
        verifier = dkim.DKIM(message)
        count = sum(1 for line in message.split(b'\n') if line.lower().startswith(b'dkim-signature:'))
        def verify(i):
            # dkimpy raises (nacl's BadSignatureError) instead of returning False for a bad Ed25519 signature.
            try: return verifier.verify(idx=i, dnsfunc=dnsfunc)
            except Exception: return False
        results = []
        for i in range(count):
            ok = verify(i)
            results.append(ok)
            print('PASS' if ok else 'FAIL', i, verifier.keysize if ok else '')
        sys.exit(0 if results and all(results) else 1)
        """;

    /// <summary>Verifies every DKIM-Signature of the message file against the keys <c>127.0.0.1:<paramref name="nsdPort"/></c> serves.</summary>
    /// <returns>The exit code (0 when every signature verifies), per signature whether it verified and the key size, and the output.</returns>
    public static (int ExitCode, IReadOnlyList<(bool Passed, int? KeySize)> Signatures, string Output) Verify(string messagePath, int nsdPort)
    {
        var script = Path.Combine(Path.GetDirectoryName(messagePath)!, "verify-dkim.py");
        File.WriteAllText(script, Script);
        // Debian's interpreter: the python3 first on PATH lacks the dkim module.
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, messagePath, nsdPort.ToString()])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            throw new TimeoutException("python3-dkim did not finish in 30 s");
        }
        var signatures = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] is "PASS" or "FAIL")
            .Select(f => (f[0] == "PASS", f.Length > 2 ? int.Parse(f[2]) : (int?)null))
            .ToArray();
        return (p.ExitCode, signatures, stdout.Result + stderr.Result);
    }
}
