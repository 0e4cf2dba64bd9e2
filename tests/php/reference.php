<?php
/**
 * What MediaWiki serves for a case document, computed by PHP itself: a transliteration of
 * SiteConfiguration::arrayMerge() and processSetting(), EventStreamConfig's stream configs and
 * EventLogging's selection, run by the PHP interpreter so that PHP's own array semantics (integer
 * keys, appends, is_numeric, array_replace_recursive) decide. Prints JSON: realm -> wiki -> bundles.
 */

function arrayMerge( array $array1, array $array2 ): array {
	$out = $array1;
	foreach ( $array2 as $key => $value ) {
		if ( isset( $out[$key] ) ) {
			if ( is_array( $out[$key] ) && is_array( $value ) ) {
				$out[$key] = arrayMerge( $out[$key], $value );
			} elseif ( is_numeric( $key ) ) {
				$out[] = $value;
			} elseif ( $out[$key] === false ) {
				$out[$key] = $value;
			}
		} else {
			$out[$key] = $value;
		}
	}
	return $out;
}

function processSetting( array $setting, string $wiki, array $tags ) {
	if ( array_key_exists( $wiki, $setting ) ) {
		return $setting[$wiki];
	}
	$retval = null;
	if ( array_key_exists( "+$wiki", $setting ) && is_array( $setting["+$wiki"] ) ) {
		$retval = $setting["+$wiki"];
	}
	foreach ( array_unique( $tags ) as $tag ) {
		if ( array_key_exists( $tag, $setting ) ) {
			if ( is_array( $retval ) && is_array( $setting[$tag] ) ) {
				return arrayMerge( $retval, $setting[$tag] );
			}
			return $setting[$tag];
		} elseif ( array_key_exists( "+$tag", $setting ) && is_array( $setting["+$tag"] ) ) {
			$retval = arrayMerge( $retval ?? [], $setting["+$tag"] );
		}
	}
	if ( array_key_exists( 'default', $setting ) ) {
		if ( is_array( $retval ) && is_array( $setting['default'] ) ) {
			$retval = arrayMerge( $retval, $setting['default'] );
		} else {
			$retval = $setting['default'];
		}
	}
	return $retval;
}

function topics( string $name, array $config ): array {
	if ( isset( $config['topics'] ) ) {
		return $config['topics'];
	}
	$prefixes = $config['topic_prefixes'] ?? null;
	if ( $prefixes === null ) {
		return [ $name ];
	}
	if ( $name !== '' && $name[0] === '/' ) {
		$end = strrpos( $name, '/' );
		$body = substr( $name, 1, $end - 1 );
		$group = '(' . implode( '|', array_map( static fn ( $p ) => preg_quote( $p, '/' ), $prefixes ) ) . ')';
		$body = str_starts_with( $body, '^' ) ? '^' . $group . substr( $body, 1 ) : $group . $body;
		return [ '/' . $body . substr( $name, $end ) ];
	}
	return array_map( static fn ( $p ) => $p . $name, array_values( $prefixes ) );
}

$case = json_decode( file_get_contents( $argv[1] ), true, 512, JSON_THROW_ON_ERROR );
$byRealm = [];
$result = [];
foreach ( $case['realms'] as $realm => $spec ) {
	if ( isset( $spec['settings'] ) ) {
		$settings = $spec['settings'];
	} else {
		$settings = $byRealm[$spec['base']];
		foreach ( $spec['overrides'] as $name => $keys ) {
			if ( $name[0] === '-' ) {
				$settings[substr( $name, 1 )] = $keys;
			} else {
				foreach ( $keys as $key => $value ) {
					$settings[$name][$key] = $value;
				}
			}
		}
	}
	$byRealm[$realm] = $settings;
	foreach ( $spec['wikis'] as $wiki => $tags ) {
		$streams = processSetting( $settings['wgEventStreams'] ?? [], $wiki, $tags );
		$defaults = processSetting( $settings['wgEventStreamsDefaultSettings'] ?? [], $wiki, $tags );
		$names = processSetting( $settings['wgEventLoggingStreamNames'] ?? [], $wiki, $tags );
		$entries = [];
		foreach ( is_array( $streams ) ? $streams : [] as $key => $streamSettings ) {
			$entries[is_int( $key ) ? $streamSettings['stream'] : $key] = $streamSettings;
		}
		$api = [];
		foreach ( $entries as $name => $streamSettings ) {
			$config = array_replace_recursive( is_array( $defaults ) ? $defaults : [], $streamSettings );
			$config['stream'] = (string)$name;
			if ( !isset( $config['topics'] ) ) {
				$config['topics'] = topics( (string)$name, $config );
			}
			$api[$name] = $config;
		}
		$embedded = [];
		foreach ( is_array( $names ) ? $names : [] as $name ) {
			$found = null;
			if ( array_key_exists( $name, $api ) ) {
				$found = $name;
			} else {
				foreach ( $api as $key => $config ) {
					if ( is_string( $key ) && $key[0] === '/' && preg_match( $key, $name ) ) {
						$found = $key;
						break;
					}
				}
			}
			if ( $found !== null ) {
				$embedded[$name] = array_intersect_key( $api[$found], [ 'sample' => true, 'producers' => true ] );
			}
		}
		$result[$realm][$wiki] = [ 'streamconfigs' => [ 'streams' => $api ], 'eventlogging' => $embedded ];
	}
}
if ( ( $argv[2] ?? '' ) === '--bytes' ) {
	// Each bundle's exact text, as FormatJson::encode( $bundle, false, FormatJson::ALL_OK ) writes it for the API.
	ini_set( 'serialize_precision', '-1' );
	$texts = [];
	foreach ( $result as $realm => $wikis ) {
		foreach ( $wikis as $wiki => $bundles ) {
			foreach ( $bundles as $name => $bundle ) {
				// EventLogging's configs reach the browser inside its ResourceLoader module, which
				// Html::encodeJsVar (FormatJson::UTF8_OK, not XMLMETA_OK) writes with <, > and & escaped.
				$flags = $name === 'eventlogging' ? JSON_HEX_TAG | JSON_HEX_AMP : 0;
				$texts["$realm/$wiki/$name.json"] = json_encode( $bundle, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | $flags | JSON_THROW_ON_ERROR );
			}
		}
	}
	$result = $texts;
}
echo json_encode( $result, JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR );
