// libFuzzer target: state snapshots (DecodeState, engine/domain/state.h),
// which start-up reads before folding the tail. Whatever the bytes,
// DecodeState answers; a state it accepts encodes to bytes that decode to
// the same state, and renders as JSON (/state, replay state).
#include <cstdint>
#include <string>

#include "engine/domain/state.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo;
  absl::StatusOr<State> state = DecodeState(fuzz::Bytes(data, size));
  if (!state.ok()) return 0;
  absl::StatusOr<State> round = DecodeState(EncodeState(*state));
  FUZZ_CHECK(round.ok());
  FUZZ_CHECK(*round == *state);
  FUZZ_CHECK(!StateToJson(*state).empty());
  return 0;
}
