// Package leaderboard ranks players by rating and by coins won, over all time and per week and day.
package leaderboard
