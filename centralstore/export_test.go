package centralstore

// ReplayStatus is Status from a replay of every event (replayStatus),
// the reference the live figures are tested against.
var ReplayStatus = (*DB).replayStatus
