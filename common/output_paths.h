// Where a command writes: checked before any work, so a long run never ends in a filesystem error, and every write
// that fails says which file.
//
//   prepare_output_folder(o.out, "--out");          // creates the folder, or InputError "--out x: ... is a file"
//   check_output_file(o.write, "--write");          // before the work: not a folder, its folder exists and is writable
//   write_text_file(dir / "plan.json", text);       // InputError naming the file if it cannot be written
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace moesim {

/// Makes `dir` an output folder: creates it and its parents, or finds an existing folder. Throws an InputError
/// "<option> <dir>: ..." saying what is in the way: a file where the folder (or one of its parents) should be, or a
/// folder this process cannot write into.
void prepare_output_folder(const std::filesystem::path& dir, std::string_view option);

/// Checks that `file` can be written: it is not a folder, its folder exists and this process can write into it.
/// Throws an InputError "<option> <file>: ..." otherwise. The file itself is not created.
void check_output_file(const std::filesystem::path& file, std::string_view option);

/// Writes `text` to `file` (replacing it); an InputError naming the file when it cannot be opened or written.
void write_text_file(const std::filesystem::path& file, const std::string& text);

}  // namespace moesim
