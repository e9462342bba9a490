using System.Text;
using MailOps.Engine.Store;

namespace MailOps.Engine.Tests.Store;

public class LfMessageCopyTests
{
    private static async Task<(string Stored, long Size, long VirtualSize)> Copy(string input, int chunk = 4096)
    {
        var output = new MemoryStream();
        var (size, vsize) = await LfMessageCopy.CopyAsync(new ChunkedStream(Encoding.Latin1.GetBytes(input), chunk), output, CancellationToken.None);
        return (Encoding.Latin1.GetString(output.ToArray()), size, vsize);
    }

    [Fact]
    public async Task Crlf_becomes_lf_and_the_virtual_size_counts_it_back()
    {
        var (stored, size, vsize) = await Copy("Subject: x\r\n\r\nbody\r\n");
        Assert.Equal("Subject: x\n\nbody\n", stored);
        Assert.Equal(stored.Length, size);
        Assert.Equal("Subject: x\r\n\r\nbody\r\n".Length, vsize);
    }

    [Fact]
    public async Task A_bare_cr_stays_and_a_bare_lf_counts_as_crlf()
    {
        var (stored, size, vsize) = await Copy("a\rb\nc\r\r\nd\r");
        Assert.Equal("a\rb\nc\r\nd\r", stored);
        Assert.Equal(9, size);
        // b\n is served as b\r\n; the stored \r\n stays two bytes.
        Assert.Equal(10, vsize);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_crlf_split_across_reads_is_still_one_line_end(int chunk)
    {
        var (stored, _, vsize) = await Copy("x\r\ny\r\n\r\n", chunk);
        Assert.Equal("x\ny\n\n", stored);
        Assert.Equal(8, vsize);
    }

    [Fact]
    public async Task Random_line_ends_in_random_reads_are_stored_as_byte_by_byte_conversion_stores_them()
    {
        var random = new Random(5321);
        for (var round = 0; round < 300; round++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 200)).Select(_ => "ab\r\n"[random.Next(4)]).ToArray());
            var (stored, size, vsize) = await Copy(text, random.Next(1, 20));
            // Reference: CRLF becomes LF, every other CR stays; W counts each stored LF not after a CR twice.
            var expected = text.Replace("\r\n", "\n");
            Assert.Equal(expected, stored);
            Assert.Equal(expected.Length, size);
            Assert.Equal(expected.Length + expected.Where((c, i) => c == '\n' && (i == 0 || expected[i - 1] != '\r')).Count(), vsize);
        }
    }

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
