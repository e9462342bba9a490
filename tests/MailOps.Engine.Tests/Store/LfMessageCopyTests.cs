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

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
