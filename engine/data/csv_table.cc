#include "engine/data/csv_table.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/domain/status_macros.h"

namespace apollo::data {
namespace {

std::vector<std::string> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  return cells;
}

}  // namespace

absl::StatusOr<CsvTable> CsvTable::Open(const std::string& path, std::initializer_list<absl::string_view> columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  CsvTable t;
  t.path_ = path;
  t.lines_ = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  if (t.lines_.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty, no header"));
  const std::vector<std::string> header = SplitCsvLine(t.lines_[0]);
  for (size_t i = 0; i < header.size(); ++i) t.index_[header[i]] = i;
  for (absl::string_view c : columns) {
    if (!t.index_.contains(c)) return absl::InvalidArgumentError(absl::StrCat(path, ":1: no column '", c, "'"));
  }
  t.width_ = header.size();
  return t;
}

absl::StatusOr<bool> CsvTable::Next() {
  if (++row_ >= lines_.size()) return false;
  cells_ = SplitCsvLine(lines_[row_]);
  if (cells_.size() != width_) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", row_ + 1, ": ", cells_.size(), " cells, the header has ", width_));
  }
  return true;
}

const std::string& CsvTable::Cell(absl::string_view column) const { return cells_[index_.at(column)]; }

absl::Status CsvTable::Bad(absl::string_view column, absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(path_, ":", row_ + 1, ": ", column, " '", Cell(column), "' ", what));
}

absl::StatusOr<int64_t> CsvTable::Int(absl::string_view column) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Cell(column), &v)) return Bad(column, "is not a whole number");
  return v;
}

absl::StatusOr<Fixed> CsvTable::Cents(absl::string_view column) const {
  ASSIGN_OR_RETURN(int64_t cents, Int(column));
  if (cents < 0 || cents > 1'000'000) return Bad(column, "is not a price in cents");
  return Fixed::FromRaw(cents * (Fixed::kScale / 100));
}

absl::StatusOr<Fixed> CsvTable::Decimal(absl::string_view column) const {
  absl::StatusOr<Fixed> v = Fixed::Parse(Cell(column));
  if (!v.ok()) return Bad(column, "is not a decimal number");
  return *v;
}

absl::StatusOr<std::optional<Fixed>> CsvTable::OptDecimal(absl::string_view column) const {
  if (Blank(column)) return std::nullopt;
  return Decimal(column);
}

absl::StatusOr<int64_t> CsvTable::TimeMs(absl::string_view column) const {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, Cell(column), &t, &err)) return Bad(column, "is not an RFC 3339 time");
  return absl::ToUnixMillis(t);
}

}  // namespace apollo::data
