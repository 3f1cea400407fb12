package checkin

// NearlyFull is the share of a space's capacity from which the space is
// nearly full: its gauge turns amber on the kiosk's screen and on the
// organizers' dashboard, and the ready screen at its door says NEARLY
// FULL. It only warns: the admit decision refuses at the capacity itself
// (docs/design.md "The admit decision").
const NearlyFull = 0.9
