using System.Runtime.CompilerServices;

namespace MailOps.Logs;

/// <summary>
/// Reads Postfix's and Dovecot's <c>key=value</c> lists left to right: <c>to=&lt;a@b&gt;, relay=x, delay=0.1</c> (separated by
/// ", ") or <c>from=&lt;s&gt; to=&lt;r&gt; proto=ESMTP</c> (separated by spaces). A value in angle brackets is returned without
/// them and may hold the separator; an item without '=' (Dovecot's <c>secured</c>, <c>TLS</c>) is a key with an empty value.
/// </summary>
internal ref struct FieldReader
{
    private readonly ReadOnlySpan<char> _s;
    private readonly char _separator;
    private int _at;
    private int _valueEnd;

    public FieldReader(ReadOnlySpan<char> s, char separator = ',')
    {
        _s = s;
        _separator = separator;
        _at = 0;
        _valueEnd = 0;
    }

    /// <summary>What follows the last value returned.</summary>
    public readonly ReadOnlySpan<char> Remaining => _s[_valueEnd..];

    /// <summary>The next item; false at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(out ReadOnlySpan<char> key, out ReadOnlySpan<char> value)
    {
        key = value = default;
        while (_at < _s.Length && (_s[_at] == ' ' || _s[_at] == _separator)) _at++;
        if (_at >= _s.Length) return false;
        var start = _at;
        while (_at < _s.Length && _s[_at] != '=' && _s[_at] != _separator && _s[_at] != ' ') _at++;
        key = _s[start.._at];
        if (_at >= _s.Length || _s[_at] != '=')
        {
            _valueEnd = _at;
            return true;
        }
        _at++;
        if (_at < _s.Length && _s[_at] == '<')
        {
            // <...> ends at a '>' followed by the end, a separator, a space or ':'.
            var open = ++_at;
            while (_at < _s.Length)
            {
                if (_s[_at] == '>' && (_at + 1 == _s.Length || _s[_at + 1] == _separator || _s[_at + 1] == ' ' || _s[_at + 1] == ':')) break;
                _at++;
            }
            value = _s[open..Math.Min(_at, _s.Length)];
            _at = Math.Min(_at + 1, _s.Length);
            _valueEnd = _at;
            return true;
        }
        var valueStart = _at;
        if (_separator == ',')
        {
            var end = _s[_at..].IndexOf(", ");
            _at = end < 0 ? _s.Length : _at + end;
        }
        else
        {
            while (_at < _s.Length && _s[_at] != ' ') _at++;
        }
        value = _s[valueStart.._at];
        _valueEnd = _at;
        return true;
    }

    /// <summary>From the start of <paramref name="value"/> (the last one returned) to the end of the list.</summary>
    public readonly ReadOnlySpan<char> Rest(ReadOnlySpan<char> value) => _s[(_valueEnd - value.Length)..];

    /// <summary>Stops reading: the next <see cref="Next"/> returns false.</summary>
    public void End() => _at = _s.Length;
}
