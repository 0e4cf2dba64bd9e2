<?php
/**
 * What `action=streamconfigs` answers for one wiki's stream configs, computed by PHP itself: the
 * parameter parsing (ParamValidator's multi-value split and de-duplication, wfCgiToArray,
 * array_merge_recursive) and StreamConfig's matching, transliterated so that PHP's own arrays,
 * casts and preg_match decide.
 *
 * Reads JSON from stdin: a list of cases {"streams": [{"key", "config", "topics_computed"}],
 * "names": "a|b" or null, "constraints": "k=v|..." or null}. Prints a list of answers: the
 * selected [result key, config] pairs, or {"error": class} where PHP throws.
 */

function cgiToArray( string $query ): array {
	if ( isset( $query[0] ) && $query[0] == '?' ) {
		$query = substr( $query, 1 );
	}
	$out = [];
	foreach ( explode( '&', $query ) as $piece ) {
		if ( $piece === '' ) {
			continue;
		}
		if ( strpos( $piece, '=' ) === false ) {
			$name = $piece;
			$text = '';
		} else {
			[ $name, $text ] = explode( '=', $piece );
		}
		$name = urldecode( $name );
		$text = urldecode( $text );
		if ( strpos( $name, '[' ) === false ) {
			$out[$name] = $text;
			continue;
		}
		$parts = array_reverse( explode( '[', $name ) );
		$name = array_pop( $parts );
		$nested = $text;
		foreach ( $parts as $part ) {
			$nested = [ substr( $part, 0, -1 ) => $nested ];
		}
		$out[$name] = isset( $out[$name] ) && is_array( $out[$name] ) ? array_merge( $out[$name], $nested ) : $nested;
	}
	return $out;
}

function multiValue( string $value ): array {
	if ( $value === '' || $value === "\x1f" ) {
		return [];
	}
	$separator = '|';
	if ( str_starts_with( $value, "\x1f" ) ) {
		$separator = "\x1f";
		$value = substr( $value, 1 );
	}
	return array_values( array_unique( explode( $separator, $value, 501 ) ) );
}

function isList( array $array ): bool {
	$keys = array_keys( $array );
	return $keys === array_keys( $keys );
}

function partialMatch( array $lhs, array $rhs, int $depth = 10 ): bool {
	if ( $depth === 0 ) {
		return true;
	}
	foreach ( $rhs as $key => $expected ) {
		if ( !isset( $lhs[$key] ) ) {
			return false;
		}
		$actual = $lhs[$key];
		if ( is_array( $expected ) && is_array( $actual ) ) {
			if ( isList( $expected ) && isList( $actual ) ) {
				return @array_intersect( $expected, $actual ) === $expected;
			}
			if ( !partialMatch( $actual, $expected, $depth - 1 ) ) {
				return false;
			}
		} elseif ( is_array( $expected ) || is_array( $actual ) || (string)$expected !== (string)$actual ) {
			return false;
		}
	}
	return true;
}

function streamMatches( string $key, $name ): bool {
	if ( substr( $key, 0, 1 ) !== '/' ) {
		return $key === $name;
	}
	return (bool)@preg_match( $key, $name );
}

function topicsFor( array $config, string $name ): array {
	$prefixes = $config['topic_prefixes'] ?? null;
	if ( $prefixes === null ) {
		return [ $name ];
	}
	if ( substr( $name, 0, 1 ) === '/' ) {
		return [ 'pattern topics are not compared here' ];
	}
	return array_map( static fn ( $prefix ) => $prefix . $name, array_values( $prefixes ) );
}

function answer( array $case ): array {
	$streams = [];
	foreach ( $case['streams'] as $stream ) {
		$settings = $stream['config'];
		if ( $stream['topics_computed'] ) {
			unset( $settings['topics'] );
		}
		$streams[$stream['key']] = [ 'key' => (string)$stream['key'], 'settings' => $settings,
			'config' => $stream['config'], 'computed' => $stream['topics_computed'] ];
	}
	if ( $case['names'] === null ) {
		$selected = [];
		foreach ( $streams as $key => $stream ) {
			$selected[$key] = $stream;
		}
	} else {
		$selected = [];
		foreach ( multiValue( $case['names'] ) as $name ) {
			if ( isset( $streams[$name] ) ) {
				$selected[$name] = $streams[$name];
				continue;
			}
			foreach ( $streams as $stream ) {
				if ( substr( $stream['key'], 0, 1 ) === '/' && streamMatches( $stream['key'], $name ) ) {
					$selected[$name] = $stream;
					break;
				}
			}
		}
	}
	$constraints = null;
	if ( $case['constraints'] !== null ) {
		$constraints = array_reduce( multiValue( $case['constraints'] ),
			static fn ( $carry, $element ) => array_merge_recursive( $carry, cgiToArray( $element ) ), [] );
	}
	$out = [];
	foreach ( $selected as $name => $stream ) {
		if ( $constraints ) {
			$wanted = $constraints;
			if ( isset( $wanted['stream'] ) ) {
				if ( !streamMatches( $stream['key'], $wanted['stream'] ) ) {
					continue;
				}
				unset( $wanted['stream'] );
			}
			if ( !partialMatch( $stream['settings'], $wanted ) ) {
				continue;
			}
		}
		$config = $stream['config'];
		$name = (string)$name;
		if ( $stream['computed'] && $name !== '' && $name !== '0' && $name !== $stream['key'] ) {
			$config['topics'] = topicsFor( $config, $name );
		}
		$out[] = [ $name, $config ];
	}
	return $out;
}

$answers = [];
foreach ( json_decode( stream_get_contents( STDIN ), true ) as $case ) {
	try {
		$answers[] = answer( $case );
	} catch ( TypeError $error ) {
		$answers[] = [ 'error' => 'TypeError' ];
	}
}
echo json_encode( $answers, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE ), "\n";
