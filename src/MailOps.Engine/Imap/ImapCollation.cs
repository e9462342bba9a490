using System.Text;

namespace MailOps.Engine.Imap;

/// <summary>
/// How SORT and THREAD compare strings: i;unicode-casemap (RFC 5051), the collation I18NLEVEL=1 asks RFC 5256 servers
/// for: titlecase (upper case here), decompose (NFKD), then compare the code points in order.
/// </summary>
internal static class ImapCollation
{
    /// <summary>The string as the collation sees it; equal keys are equal strings.</summary>
    public static string Key(string text)
    {
        var upper = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) upper.Append(Rune.ToUpperInvariant(rune).ToString());
        return upper.ToString().Normalize(NormalizationForm.FormKD);
    }

    /// <summary>Orders two keys from <see cref="Key"/> by code point (UTF-16 ordinal order differs above U+FFFF).</summary>
    public static int Compare(string x, string y)
    {
        var a = x.EnumerateRunes();
        var b = y.EnumerateRunes();
        while (true)
        {
            var moreA = a.MoveNext();
            var moreB = b.MoveNext();
            if (!moreA || !moreB) return moreA.CompareTo(moreB);
            var c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0) return c;
        }
    }
}
