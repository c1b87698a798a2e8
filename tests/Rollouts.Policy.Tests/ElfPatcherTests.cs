using System.Text;
using Rollouts.Build;

namespace Rollouts.Policy.Tests;

public class ElfPatcherTests
{
    /// <summary>
    /// A minimal ELF64 little-endian file with sections: null, .dynstr, .gnu.version_r, .gnu.version_d,
    /// .shstrtab. Version needs: libstdc++.so.6 → GLIBCXX_3.4.30, GLIBCXX_3.4.32 (flags as given);
    /// libc.so.6 → GLIBC_2.2.5. Version definitions: GLIBCXX_3.4, GLIBCXX_3.4.30.
    /// </summary>
    internal static byte[] SyntheticElf(ushort glibcxx32Flags = 0)
    {
        var dynstr = new MemoryStream();
        var offsets = new Dictionary<string, uint>();
        dynstr.WriteByte(0);
        foreach (var s in new[] { "libstdc++.so.6", "libc.so.6", "GLIBCXX_3.4.30", "GLIBCXX_3.4.32", "GLIBC_2.2.5", "GLIBCXX_3.4" })
        {
            offsets[s] = (uint)dynstr.Length;
            dynstr.Write(Encoding.ASCII.GetBytes(s + "\0"));
        }
        var verneed = new MemoryStream();
        var w = new BinaryWriter(verneed);
        // Verneed 1: libstdc++.so.6, 2 aux entries, aux at +16, next Verneed at +16+2*16
        w.Write((ushort)1); w.Write((ushort)2); w.Write(offsets["libstdc++.so.6"]); w.Write(16u); w.Write(48u);
        w.Write(0x0297f870u); w.Write((ushort)0); w.Write((ushort)3); w.Write(offsets["GLIBCXX_3.4.30"]); w.Write(16u);
        w.Write(0x0297f872u); w.Write(glibcxx32Flags); w.Write((ushort)4); w.Write(offsets["GLIBCXX_3.4.32"]); w.Write(0u);
        // Verneed 2: libc.so.6, 1 aux entry, last
        w.Write((ushort)1); w.Write((ushort)1); w.Write(offsets["libc.so.6"]); w.Write(16u); w.Write(0u);
        w.Write(0x09691a75u); w.Write((ushort)0); w.Write((ushort)2); w.Write(offsets["GLIBC_2.2.5"]); w.Write(0u);
        w.Flush();
        var verdef = new MemoryStream();
        var d = new BinaryWriter(verdef);
        // Verdef: version, flags, ndx, cnt, hash, aux (20), next (28 = 20 + 8)
        d.Write((ushort)1); d.Write((ushort)0); d.Write((ushort)2); d.Write((ushort)1); d.Write(0u); d.Write(20u); d.Write(28u);
        d.Write(offsets["GLIBCXX_3.4"]); d.Write(0u);
        d.Write((ushort)1); d.Write((ushort)0); d.Write((ushort)3); d.Write((ushort)1); d.Write(0u); d.Write(20u); d.Write(0u);
        d.Write(offsets["GLIBCXX_3.4.30"]); d.Write(0u);
        d.Flush();
        var shstr = new MemoryStream();
        var names = new Dictionary<string, uint>();
        shstr.WriteByte(0);
        foreach (var s in new[] { ".dynstr", ".gnu.version_r", ".gnu.version_d", ".shstrtab" })
        {
            names[s] = (uint)shstr.Length;
            shstr.Write(Encoding.ASCII.GetBytes(s + "\0"));
        }

        var file = new MemoryStream();
        var f = new BinaryWriter(file);
        f.Write(new byte[64]);
        long dynstrOff = file.Position; f.Write(dynstr.ToArray());
        while (file.Position % 8 != 0) f.Write((byte)0);
        long verneedOff = file.Position; f.Write(verneed.ToArray());
        long verdefOff = file.Position; f.Write(verdef.ToArray());
        long shstrOff = file.Position; f.Write(shstr.ToArray());
        while (file.Position % 8 != 0) f.Write((byte)0);
        long shoff = file.Position;
        void Section(uint name, uint type, long off, long size, uint link, uint info)
        {
            f.Write(name); f.Write(type); f.Write(0UL); f.Write(0UL); f.Write((ulong)off); f.Write((ulong)size);
            f.Write(link); f.Write(info); f.Write(8UL); f.Write(0UL);
        }
        Section(0, 0, 0, 0, 0, 0);
        Section(names[".dynstr"], 3, dynstrOff, dynstr.Length, 0, 0);
        Section(names[".gnu.version_r"], ElfVersionPatcher.ShtGnuVerneed, verneedOff, verneed.Length, 1, 2);
        Section(names[".gnu.version_d"], ElfVersionPatcher.ShtGnuVerdef, verdefOff, verdef.Length, 1, 2);
        Section(names[".shstrtab"], 3, shstrOff, shstr.Length, 0, 0);
        f.Flush();
        var bytes = file.ToArray();
        // ELF header
        bytes[0] = 0x7f; bytes[1] = (byte)'E'; bytes[2] = (byte)'L'; bytes[3] = (byte)'F';
        bytes[4] = 2; bytes[5] = 1; bytes[6] = 1;
        bytes[16] = 3; // ET_DYN
        bytes[18] = 62; // EM_X86_64
        BitConverter.GetBytes((ulong)shoff).CopyTo(bytes, 0x28);
        BitConverter.GetBytes((ushort)64).CopyTo(bytes, 0x34);
        BitConverter.GetBytes((ushort)64).CopyTo(bytes, 0x3A);
        BitConverter.GetBytes((ushort)5).CopyTo(bytes, 0x3C);
        BitConverter.GetBytes((ushort)4).CopyTo(bytes, 0x3E);
        return bytes;
    }

    private static ushort FlagsOf(byte[] image, string version) =>
        ElfVersionPatcher.ReadVersionNeeds(image).Single(n => n.Version == version).Flags;

    [Fact]
    public void ReadsVersionNeedsOfSyntheticElf()
    {
        var needs = ElfVersionPatcher.ReadVersionNeeds(SyntheticElf());
        Assert.Equal(
            new[] { ("libstdc++.so.6", "GLIBCXX_3.4.30"), ("libstdc++.so.6", "GLIBCXX_3.4.32"), ("libc.so.6", "GLIBC_2.2.5") },
            needs.Select(n => (n.File, n.Version)).ToArray());
        Assert.All(needs, n => Assert.Equal(0, n.Flags));
        Assert.Equal(new[] { "GLIBCXX_3.4", "GLIBCXX_3.4.30" }, ElfVersionPatcher.ReadVersionDefinitions(SyntheticElf()));
    }

    [Fact]
    public void MarksOnlyTheNamedVersionWeakAndIsIdempotent()
    {
        var image = SyntheticElf();
        var before = (byte[])image.Clone();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.MarkVersionNeedWeak(image, "GLIBCXX_3.4.32"));
        Assert.Equal(ElfVersionPatcher.VerFlagWeak, FlagsOf(image, "GLIBCXX_3.4.32"));
        Assert.Equal(0, FlagsOf(image, "GLIBCXX_3.4.30"));
        Assert.Equal(0, FlagsOf(image, "GLIBC_2.2.5"));
        // Exactly one byte changed: the low byte of that vna_flags.
        var diff = Enumerable.Range(0, image.Length).Where(i => image[i] != before[i]).ToArray();
        Assert.Single(diff);
        var patched = (byte[])image.Clone();
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionNeedWeak(image, "GLIBCXX_3.4.32"));
        Assert.Equal(patched, image);
    }

    [Fact]
    public void KeepsOtherFlagBits()
    {
        var image = SyntheticElf(glibcxx32Flags: 0x1);
        ElfVersionPatcher.MarkVersionNeedWeak(image, "GLIBCXX_3.4.32");
        Assert.Equal(0x3, FlagsOf(image, "GLIBCXX_3.4.32"));
    }

    [Fact]
    public void UnreferencedVersionChangesNothing()
    {
        var image = SyntheticElf();
        var before = (byte[])image.Clone();
        Assert.Equal(ElfPatchOutcome.NotReferenced, ElfVersionPatcher.MarkVersionNeedWeak(image, "GLIBCXX_9.9"));
        Assert.Equal(before, image);
    }

    [Fact]
    public void RejectsNonElfAndTruncatedFiles()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionNeeds(Encoding.ASCII.GetBytes("not an elf file at all, just some text that is long enough to pass the size check ......")));
        var image = SyntheticElf();
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionNeeds(image[..(image.Length - 100)]));
        var bigEndian = SyntheticElf();
        bigEndian[5] = 2;
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionNeeds(bigEndian));
    }

    [Fact]
    public void PatchFileWritesOnlyWhenNeededAndKeepsTimestamp()
    {
        var dir = Directory.CreateTempSubdirectory("elfpatch");
        try
        {
            var path = Path.Combine(dir.FullName, "lib.so");
            File.WriteAllBytes(path, SyntheticElf());
            var stamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(path, stamp);
            Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.PatchFile(path, "GLIBCXX_3.4.32"));
            Assert.Equal(ElfVersionPatcher.VerFlagWeak, FlagsOf(File.ReadAllBytes(path), "GLIBCXX_3.4.32"));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
            Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.PatchFile(path, "GLIBCXX_3.4.32"));
            Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary files left behind
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ParsesLdconfigOutputPreferringX8664()
    {
        var output = """
            1234 libs found in cache `/etc/ld.so.cache'
            	libstdc++.so.6 (libc6) => /usr/lib/i386-linux-gnu/libstdc++.so.6
            	libstdc++.so.6 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libstdc++.so.6
            	libstdc++fs.so.6 (libc6,x86-64) => /nope
            """;
        Assert.Equal(new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/i386-linux-gnu/libstdc++.so.6" },
            ElfVersionPatcher.ParseLdconfig(output));
    }

    private static string? PackageLibTorchSharp()
    {
        var path = Path.Combine(TestVocab.NuGetPackageRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [Fact]
    public void PatchesACopyOfTheRealLibTorchSharp()
    {
        var source = PackageLibTorchSharp();
        if (source is null) return; // not on linux-x64 / package not restored
        var image = File.ReadAllBytes(source);
        var need = ElfVersionPatcher.ReadVersionNeeds(image).Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.IsWeak); // the package ships it strong
        var others = ElfVersionPatcher.ReadVersionNeeds(image).Where(n => n.Version != "GLIBCXX_3.4.32").ToArray();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.MarkVersionNeedWeak(image, "GLIBCXX_3.4.32"));
        Assert.True(ElfVersionPatcher.ReadVersionNeeds(image).Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(others.Select(n => (n.Version, n.Flags)), ElfVersionPatcher.ReadVersionNeeds(image).Where(n => n.Version != "GLIBCXX_3.4.32").Select(n => (n.Version, n.Flags)));
    }

    [Fact]
    public void BuildOutputCopyIsPatchedExactlyWhenTheHostNeedsIt()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || !File.Exists(output)) return;
        var host = ElfVersionPatcher.FindHostLibStdCxx();
        Assert.NotNull(host);
        var hostVersions = ElfVersionPatcher.ReadVersionDefinitions(File.ReadAllBytes(host!));
        Assert.Contains("GLIBCXX_3.4", hostVersions);
        bool hostHas = hostVersions.Contains("GLIBCXX_3.4.32");
        var need = ElfVersionPatcher.ReadVersionNeeds(File.ReadAllBytes(output)).Single(n => n.Version == "GLIBCXX_3.4.32");
        if (!hostHas) Assert.True(need.IsWeak, $"{output} still needs GLIBCXX_3.4.32 strongly but {host} lacks it");
        // And the library really loads (TorchSharp initialises its native backend); nothing to diagnose.
        TorchRuntime.EnsureLoaded();
        Assert.Null(TorchRuntime.DiagnoseGlibcxx());
    }
}
