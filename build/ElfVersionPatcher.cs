// Marks one symbol-version requirement of an ELF64 shared library as weak.
//
// Why: the TorchSharp 0.107 package's libLibTorchSharp.so was linked against a libstdc++ that has
// GLIBCXX_3.4.32 and records a need for that version (for one symbol, std::ios_base_library_init(),
// which it references but never calls). Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the dynamic
// loader refuses the library ("version `GLIBCXX_3.4.32' not found"). Setting VER_FLG_WEAK (0x2) on
// that Vernaux entry of .gnu.version_r tells the loader that a missing version is not fatal.
//
// This one file is compiled twice: by MSBuild's RoslynCodeTaskFactory (build/TorchSharpNative.targets,
// which uses the task class at the bottom) and by tests/Rollouts.Policy.Tests (which defines
// ROLLOUTS_ELF_NO_TASK and tests the pure functions). It must stay netstandard2.0 / plain C#:
// no spans, no BinaryPrimitives, no File.Move(overwrite).
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Rollouts.Build
{
    /// <summary>One Vernaux entry: a version of a symbol set that the library needs from a dependency.</summary>
    public sealed class ElfVersionNeed
    {
        public ElfVersionNeed(string file, string version, ushort flags, long flagsOffset)
        {
            File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset;
        }

        /// <summary>The needed library (vn_file), e.g. libstdc++.so.6.</summary>
        public string File { get; }
        /// <summary>The version name (vna_name), e.g. GLIBCXX_3.4.32.</summary>
        public string Version { get; }
        /// <summary>vna_flags; bit 0x2 is VER_FLG_WEAK.</summary>
        public ushort Flags { get; }
        /// <summary>Byte offset of vna_flags in the file.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & ElfVersionPatcher.VerFlagWeak) != 0;
    }

    public enum ElfPatchOutcome
    {
        /// <summary>The flag was set (the image/file changed).</summary>
        Patched,
        /// <summary>The entry was already weak; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The library does not need that version; nothing changed.</summary>
        NotReferenced,
    }

    public static class ElfVersionPatcher
    {
        public const ushort VerFlagWeak = 0x2;
        public const uint ShtGnuVerdef = 0x6ffffffd;
        public const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>All Vernaux entries of the image's .gnu.version_r section (empty when it has none).</summary>
        public static List<ElfVersionNeed> ReadVersionNeeds(byte[] image)
        {
            var result = new List<ElfVersionNeed>();
            var sections = ReadSections(image);
            foreach (var s in sections)
            {
                if (s.Type != ShtGnuVerneed) continue;
                var strtab = StringTable(sections, s, image);
                long count = s.Info; // sh_info = number of Verneed entries
                long vn = s.Offset;
                for (long i = 0; i < count; i++)
                {
                    Check(image, vn, 16, "Verneed entry");
                    ushort vnCnt = U16(image, vn + 2);
                    string file = CString(image, strtab, U32(image, vn + 4));
                    uint vnAux = U32(image, vn + 8);
                    uint vnNext = U32(image, vn + 12);
                    long aux = vn + vnAux;
                    for (int j = 0; j < vnCnt; j++)
                    {
                        Check(image, aux, 16, "Vernaux entry");
                        ushort flags = U16(image, aux + 4);
                        string name = CString(image, strtab, U32(image, aux + 8));
                        result.Add(new ElfVersionNeed(file, name, flags, aux + 4));
                        uint next = U32(image, aux + 12);
                        if (next == 0) break;
                        aux += next;
                    }
                    if (vnNext == 0) break;
                    vn += vnNext;
                }
            }
            return result;
        }

        /// <summary>Version names the image defines (.gnu.version_d), e.g. every GLIBCXX_* of libstdc++.</summary>
        public static List<string> ReadVersionDefinitions(byte[] image)
        {
            var result = new List<string>();
            var sections = ReadSections(image);
            foreach (var s in sections)
            {
                if (s.Type != ShtGnuVerdef) continue;
                var strtab = StringTable(sections, s, image);
                long vd = s.Offset;
                for (long i = 0; i < s.Info; i++)
                {
                    Check(image, vd, 20, "Verdef entry");
                    ushort cnt = U16(image, vd + 6);
                    uint vdAux = U32(image, vd + 12);
                    uint vdNext = U32(image, vd + 16);
                    if (cnt > 0)
                    {
                        long aux = vd + vdAux;
                        Check(image, aux, 8, "Verdaux entry");
                        result.Add(CString(image, strtab, U32(image, aux)));
                    }
                    if (vdNext == 0) break;
                    vd += vdNext;
                }
            }
            return result;
        }

        /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>, in memory.</summary>
        public static ElfPatchOutcome MarkVersionNeedWeak(byte[] image, string version)
        {
            var outcome = ElfPatchOutcome.NotReferenced;
            foreach (var need in ReadVersionNeeds(image))
            {
                if (need.Version != version) continue;
                if (need.IsWeak)
                {
                    if (outcome == ElfPatchOutcome.NotReferenced) outcome = ElfPatchOutcome.AlreadyWeak;
                    continue;
                }
                ushort flags = (ushort)(need.Flags | VerFlagWeak);
                image[need.FlagsOffset] = (byte)(flags & 0xff);
                image[need.FlagsOffset + 1] = (byte)(flags >> 8);
                outcome = ElfPatchOutcome.Patched;
            }
            return outcome;
        }

        /// <summary>
        /// Patches a file in place. The new bytes are written to a temporary file beside it and renamed
        /// over the original (so a hard link into the NuGet cache is never modified, and a failure leaves
        /// the original intact); the original's timestamps are kept so MSBuild's incremental copy treats
        /// the output as up to date. Idempotent.
        /// </summary>
        public static ElfPatchOutcome PatchFile(string path, string version)
        {
            byte[] image = System.IO.File.ReadAllBytes(path);
            var outcome = MarkVersionNeedWeak(image, version);
            if (outcome != ElfPatchOutcome.Patched) return outcome;
            var lastWrite = System.IO.File.GetLastWriteTimeUtc(path);
            string temp = path + ".patch-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                // Copy first so the temporary file keeps the original's permission bits, then overwrite
                // its bytes (same length) and rename it over the original.
                System.IO.File.Copy(path, temp, true);
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
                {
                    stream.Write(image, 0, image.Length);
                    stream.SetLength(image.Length);
                }
                System.IO.File.Replace(temp, path, null);
            }
            finally
            {
                if (System.IO.File.Exists(temp)) System.IO.File.Delete(temp);
            }
            System.IO.File.SetLastWriteTimeUtc(path, lastWrite);
            return outcome;
        }

        /// <summary>True when the ELF file at <paramref name="path"/> defines <paramref name="version"/>.</summary>
        public static bool DefinesVersion(string path, string version)
        {
            return ReadVersionDefinitions(System.IO.File.ReadAllBytes(path)).Contains(version);
        }

        /// <summary>
        /// The libstdc++.so.6 the dynamic loader would pick: the first x86-64 entry of `ldconfig -p`,
        /// else the usual Debian/Fedora paths; null when none is found.
        /// </summary>
        public static string? FindHostLibStdCxx()
        {
            foreach (var candidate in LdconfigCandidates())
                if (System.IO.File.Exists(candidate)) return candidate;
            string[] fixedPaths =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6",
                "/usr/lib/libstdc++.so.6",
            };
            foreach (var p in fixedPaths)
                if (System.IO.File.Exists(p)) return p;
            return null;
        }

        private static IEnumerable<string> LdconfigCandidates()
        {
            string output;
            try
            {
                foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
                {
                    if (ldconfig.StartsWith("/", StringComparison.Ordinal) && !System.IO.File.Exists(ldconfig)) continue;
                    var psi = new ProcessStartInfo(ldconfig, "-p")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                    };
                    using (var p = Process.Start(psi))
                    {
                        if (p == null) continue;
                        output = p.StandardOutput.ReadToEnd();
                        p.WaitForExit(10000);
                    }
                    return ParseLdconfig(output);
                }
            }
            catch (Exception)
            {
                // No ldconfig: fall back to fixed paths.
            }
            return new string[0];
        }

        /// <summary>Paths of libstdc++.so.6 (x86-64 first) in `ldconfig -p` output.</summary>
        public static List<string> ParseLdconfig(string output)
        {
            var x64 = new List<string>();
            var other = new List<string>();
            foreach (var raw in output.Split('\n'))
            {
                var line = raw.Trim();
                if (!line.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal)) continue;
                int arrow = line.IndexOf("=>", StringComparison.Ordinal);
                if (arrow < 0) continue;
                string path = line.Substring(arrow + 2).Trim();
                if (line.Contains("x86-64")) x64.Add(path); else other.Add(path);
            }
            x64.AddRange(other);
            return x64;
        }

        // ---- ELF64 little-endian parsing ----

        private struct Section
        {
            public uint Name, Type, Link, Info;
            public long Offset, Size;
        }

        private static List<Section> ReadSections(byte[] image)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (bad magic)");
            if (image[4] != 2) throw new InvalidDataException("not a 64-bit ELF file (EI_CLASS=" + image[4] + ")");
            if (image[5] != 1) throw new InvalidDataException("not a little-endian ELF file (EI_DATA=" + image[5] + ")");
            long shoff = (long)U64(image, 0x28);
            ushort shentsize = U16(image, 0x3A);
            ushort shnum = U16(image, 0x3C);
            if (shoff == 0 || shnum == 0) throw new InvalidDataException("ELF file has no section headers");
            if (shentsize < 64) throw new InvalidDataException("ELF section header size " + shentsize + " is too small");
            var list = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                Check(image, h, 64, "section header " + i);
                var s = new Section
                {
                    Name = U32(image, h),
                    Type = U32(image, h + 4),
                    Offset = (long)U64(image, h + 24),
                    Size = (long)U64(image, h + 32),
                    Link = U32(image, h + 40),
                    Info = U32(image, h + 44),
                };
                list.Add(s);
            }
            return list;
        }

        private static Section StringTable(List<Section> sections, Section of, byte[] image)
        {
            if (of.Link >= sections.Count) throw new InvalidDataException("version section links to missing string table " + of.Link);
            var st = sections[(int)of.Link];
            Check(image, st.Offset, st.Size, "string table");
            return st;
        }

        private static string CString(byte[] image, Section strtab, uint offset)
        {
            if (offset >= strtab.Size) throw new InvalidDataException("string offset " + offset + " outside string table");
            long start = strtab.Offset + offset;
            long end = start;
            long limit = strtab.Offset + strtab.Size;
            while (end < limit && image[end] != 0) end++;
            return Encoding.ASCII.GetString(image, (int)start, (int)(end - start));
        }

        private static void Check(byte[] image, long offset, long length, string what)
        {
            if (offset < 0 || length < 0 || offset + length > image.Length)
                throw new InvalidDataException(what + " at offset " + offset + " lies outside the file (" + image.Length + " bytes)");
        }

        private static ushort U16(byte[] b, long o) { return (ushort)(b[o] | (b[o + 1] << 8)); }
        private static uint U32(byte[] b, long o) { return (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)); }
        private static ulong U64(byte[] b, long o) { return U32(b, o) | ((ulong)U32(b, o + 4) << 32); }
    }
}

#if !ROLLOUTS_ELF_NO_TASK
namespace Rollouts.Build
{
    /// <summary>
    /// MSBuild task: marks <see cref="Version"/> weak in each of <see cref="Files"/>, unless the host's
    /// libstdc++ already defines it (Mode=auto). Mode=always patches regardless; Mode=never is handled
    /// by the target's condition.
    /// </summary>
    public class MarkElfVersionNeedWeak : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        [Microsoft.Build.Framework.Required]
        public string Version { get; set; } = "";

        /// <summary>auto (default) or always.</summary>
        public string Mode { get; set; } = "auto";

        public override bool Execute()
        {
            if (Files.Length == 0) return true;
            if (!string.Equals(Mode, "always", StringComparison.OrdinalIgnoreCase))
            {
                string? host = ElfVersionPatcher.FindHostLibStdCxx();
                if (host != null)
                {
                    bool has;
                    try { has = ElfVersionPatcher.DefinesVersion(host, Version); }
                    catch (Exception e)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "Could not read " + host + ": " + e.Message + "; patching anyway.");
                        has = false;
                    }
                    if (has)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, host + " defines " + Version + "; libLibTorchSharp.so left as is.");
                        return true;
                    }
                }
            }
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                try
                {
                    var outcome = ElfVersionPatcher.PatchFile(path, Version);
                    var importance = outcome == ElfPatchOutcome.Patched
                        ? Microsoft.Build.Framework.MessageImportance.Normal
                        : Microsoft.Build.Framework.MessageImportance.Low;
                    Log.LogMessage(importance, path + ": need for " + Version + " " + Describe(outcome));
                }
                catch (Exception e)
                {
                    Log.LogError("Could not mark " + Version + " weak in " + path + ": " + e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }

        private static string Describe(ElfPatchOutcome outcome)
        {
            switch (outcome)
            {
                case ElfPatchOutcome.Patched: return "marked weak";
                case ElfPatchOutcome.AlreadyWeak: return "already weak";
                default: return "not present";
            }
        }
    }
}
#endif
