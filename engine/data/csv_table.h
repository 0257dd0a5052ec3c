// A recorded data file in CSV (data/kalshi, data/nws): read whole, walked
// row by row, its cells found by column name and read exactly. Every cell
// that does not read is one line naming the file, the line and the column:
//
//   data/kalshi/trades/x.csv:3: yes_price '41' and no_price 58 do not make 100 cents
//
//   ASSIGN_OR_RETURN(CsvTable t, CsvTable::Open(path, {"date", "tmax_f"}));
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, t.Next());
//     if (!more) break;
//     ASSIGN_OR_RETURN(int64_t f, t.Int("tmax_f"));
//   }
//
// Cells are split on commas; double quotes group (a doubled quote is one).
// A quoted cell spanning lines is not supported (none of the files has one).
#ifndef APOLLO_ENGINE_DATA_CSV_TABLE_H_
#define APOLLO_ENGINE_DATA_CSV_TABLE_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"

namespace apollo::data {

class CsvTable {
 public:
  // The file with its header read; NotFound if it cannot be read,
  // InvalidArgument if a required column is missing.
  static absl::StatusOr<CsvTable> Open(const std::string& path, std::initializer_list<absl::string_view> columns);

  // Moves to the next row: false at the end; a row whose width is not the
  // header's is an error.
  absl::StatusOr<bool> Next();
  // A cell of the current row; `column` must be one Open required.
  const std::string& Cell(absl::string_view column) const;
  bool Blank(absl::string_view column) const { return Cell(column).empty(); }
  // "path:line: column 'cell' what".
  absl::Status Bad(absl::string_view column, absl::string_view what) const;

  absl::StatusOr<int64_t> Int(absl::string_view column) const;
  // Whole cents as dollars, exactly (0 .. 1,000,000 cents).
  absl::StatusOr<Fixed> Cents(absl::string_view column) const;
  absl::StatusOr<Fixed> Decimal(absl::string_view column) const;
  // nullopt when blank.
  absl::StatusOr<std::optional<Fixed>> OptDecimal(absl::string_view column) const;
  // An RFC 3339 time as Unix milliseconds.
  absl::StatusOr<int64_t> TimeMs(absl::string_view column) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> lines_;
  absl::flat_hash_map<std::string, size_t> index_;
  size_t width_ = 0, row_ = 0;
  std::vector<std::string> cells_;
};

}  // namespace apollo::data

#endif  // APOLLO_ENGINE_DATA_CSV_TABLE_H_
