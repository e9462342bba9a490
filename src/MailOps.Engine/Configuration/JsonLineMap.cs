using System.Text.Json;

namespace MailOps.Engine.Configuration;

/// <summary>
/// The line of every setting in a JSON-with-comments file, keyed by JSON path (<c>listeners[1].address</c>), so that
/// errors found after parsing can still point at a line: JsonDocument keeps no positions, Utf8JsonReader does.
/// </summary>
internal sealed class JsonLineMap
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    private JsonLineMap() { }

    /// <summary>Reads every token of <paramref name="utf8"/>; a syntax error surfaces as the reader's JsonException.</summary>
    public static JsonLineMap Read(ReadOnlySpan<byte> utf8, JsonReaderOptions options)
    {
        var map = new JsonLineMap();
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++) if (utf8[i] == (byte)'\n') lineStarts.Add(i + 1);
        int LineOf(long offset)
        {
            var index = lineStarts.BinarySearch((int)offset);
            return (index >= 0 ? index : ~index - 1) + 1;
        }

        var reader = new Utf8JsonReader(utf8, options);
        var frames = new Stack<(string Path, bool IsArray, int Next)>();
        string property = "";
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var parent = frames.Peek().Path;
                    property = parent.Length == 0 ? reader.GetString()! : $"{parent}.{reader.GetString()}";
                    map._lines.TryAdd(property, LineOf(reader.TokenStartIndex));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.Pop();
                    break;
                default:
                    var path = frames.Count == 0 ? "" : ValuePath(frames, property);
                    if (frames.Count > 0 && frames.Peek().IsArray) map._lines.TryAdd(path, LineOf(reader.TokenStartIndex));
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        frames.Push((path, reader.TokenType == JsonTokenType.StartArray, 0));
                    break;
            }
        }
        return map;
    }

    private static string ValuePath(Stack<(string Path, bool IsArray, int Next)> frames, string property)
    {
        var top = frames.Pop();
        if (!top.IsArray) { frames.Push(top); return property; }
        frames.Push(top with { Next = top.Next + 1 });
        return $"{top.Path}[{top.Next}]";
    }

    /// <summary>The line of <paramref name="path"/>, or of its nearest enclosing setting, or null.</summary>
    public int? LineOf(string path)
    {
        while (true)
        {
            if (_lines.TryGetValue(path, out var line)) return line;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0) return null;
            path = path[..cut];
        }
    }
}
