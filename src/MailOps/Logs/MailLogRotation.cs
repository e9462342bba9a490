namespace MailOps.Logs;

/// <summary>logrotate's naming (numbered <c>mail.log.1</c>, <c>mail.log.2.gz</c>, or dateext <c>mail.log-20261128[.gz]</c>) and the time order it implies.</summary>
public static class MailLogRotation
{
    /// <summary>The current log's name for a rotation's path (the path itself for the current log).</summary>
    public static string BaseNameOf(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.Ordinal) ? path[..^3] : path;
        var dot = p.LastIndexOf('.');
        if (dot > 0 && dot < p.Length - 1 && p.AsSpan(dot + 1).IndexOfAnyExceptInRange('0', '9') < 0 && p.Length - dot - 1 <= 4) return p[..dot];
        var dash = p.LastIndexOf('-');
        if (dash > 0 && p.Length - dash - 1 >= 8 && p.AsSpan(dash + 1).IndexOfAnyExceptInRange('0', '9') < 0) return p[..dash];
        return p;
    }

    /// <summary>
    /// Puts files in the order their lines were written: per current log, the highest number first (mail.log.3.gz,
    /// mail.log.2.gz, mail.log.1), dateext rotations by date, the current file last. Groups keep their first appearance's order.
    /// </summary>
    public static IReadOnlyList<MailLogFile> InTimeOrder(IEnumerable<MailLogFile> files)
    {
        var groups = new List<(string Base, List<MailLogFile> Files)>();
        foreach (var file in files.DistinctBy(f => f.Path))
        {
            var name = file.BaseName;
            var group = groups.FindIndex(g => g.Base == name);
            if (group < 0) groups.Add((name, [file])); else groups[group].Files.Add(file);
        }
        return groups.SelectMany(g => g.Files.OrderBy(f => Age(f.Path, g.Base))).ToList();
    }

    // Smaller sorts first (older): numbered rotations by descending number, then dateext by date, then the live file.
    private static (int, long, string) Age(string path, string baseName)
    {
        var p = path.EndsWith(".gz", StringComparison.Ordinal) ? path[..^3] : path;
        if (p == baseName) return (2, 0, "");
        var suffix = p[(baseName.Length + 1)..];
        return p[baseName.Length] == '.' && int.TryParse(suffix, out var n) ? (0, -n, "") : (1, 0, suffix);
    }
}
